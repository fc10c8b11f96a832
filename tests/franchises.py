"""Franchises and series of ml-latest-small, for judging "similar movies" as a person would.

``FRANCHISES`` maps a film's movieId to the movieIds of its franchise mates (sequels, prequels, remakes and
spin-offs of the same series), each found by title and year in the release's ``movies.csv`` and rated at least
three times. Used by ``bench/similar_measures.py`` (the table of measures in the README) and the real-data tests;
``FAMOUS`` is the first twelve, the list the default run's embeddings are judged on.

The movieIds are facts about the MovieLens release (its ``movies.csv``), not MovieLens data.
"""

FRANCHISES: dict[int, list[int]] = {
    1: [3114, 78499],  # Toy Story (1995)
    260: [1196, 1210, 2628, 5378, 33493, 122886, 166528, 179819, 187595, 61160],  # Star Wars: Episode IV - A New Hop...
    4993: [5952, 7153, 98809, 106489, 118696, 2116],  # Lord of the Rings: The Fellowship of the Ring, The (2001)
    4896: [5816, 8368, 40815, 54001, 69844, 81834, 88125],  # Harry Potter and the Sorcerer's Stone (a.k.a. Harry Pot...
    2571: [6365, 6934, 27660],  # Matrix, The (1999)
    858: [1221, 2023],  # Godfather, The (1972)
    1270: [2011, 2012],  # Back to the Future (1985)
    4306: [8360, 53121, 78637, 64249],  # Shrek (2001)
    1240: [589, 6537, 68791, 120799],  # Terminator, The (1984)
    1198: [1291, 2115, 59615],  # Raiders of the Lost Ark (Indiana Jones and the Raiders of the Lost Ark) (1981)
    1214: [1200, 1320, 1690, 169984, 8810, 56801],  # Alien (1979)
    6539: [45722, 53125, 86880, 122896],  # Pirates of the Caribbean: The Curse of the Black Pearl (2003)
    480: [1544, 4638, 117529],  # Jurassic Park (1993)
    1036: [165, 1370, 53972, 100498],  # Die Hard (1988)
    2000: [2001, 2002, 1918],  # Lethal Weapon (1987)
    1954: [2409, 2410, 2411, 2412, 49651],  # Rocky (1976)
    592: [153, 1377, 1562, 33794, 58559, 91529, 3213],  # Batman (1989)
    5349: [8636, 52722, 95510, 110553, 122926],  # Spider-Man (2002)
    3793: [6333, 45499, 87232, 111362, 68319, 122924],  # X-Men (2000)
    648: [3623, 45186, 91630, 111781],  # Mission: Impossible (1996)
    5418: [54286, 8665, 91535, 160438],  # Bourne Identity, The (2002)
    4963: [8984, 53322, 4954],  # Ocean's Eleven (2001)
    1580: [5459, 94777],  # Men in Black (a.k.a. MIB) (1997)
    5218: [44022, 69644, 95543],  # Ice Age (2002)
    59784: [87222, 149406, 67295],  # Kung Fu Panda (2008)
    91500: [106487, 116823, 135133],  # The Hunger Games (2012)
    1374: [329, 1356, 68358, 1371, 1376, 1372, 1375, 1373, 2393, 5944, 102445, 135569],  # Star Trek II: The Wrath of...
    2683: [1517, 5481],  # Austin Powers: The Spy Who Shagged Me (1999)
    1407: [1717, 3273, 86295],  # Scream (1996)
    586: [2953, 1707],  # Home Alone (1990)
    6874: [7438],  # Kill Bill: Vol. 1 (2003)
    69122: [86911, 102686],  # Hangover, The (2009)
    3948: [30825],  # Meet the Parents (2000)
    2706: [4718, 6586, 39715, 93831, 50189, 73106],  # American Pie (1999)
    59315: [77561, 102125],  # Iron Man (2008)
    2716: [2717, 160080],  # Ghostbusters (a.k.a. Ghost Busters) (1984)
    2420: [2421, 502, 2422, 79224],  # Karate Kid, The (1984)
    2985: [2986, 519, 108945],  # RoboCop (1987)
    2640: [2641, 46530, 2642, 2643],  # Superman (1978)
    1148: [745, 38038, 1223, 720, 64285],  # Wallace & Gromit: The Wrong Trousers (1993)
    344: [19],  # Ace Ventura: Pet Detective (1994)
    3702: [3703, 3704, 122882],  # Mad Max (1979)
    2529: [2530, 2531, 2532, 2533, 4643, 88744, 112623],  # Planet of the Apes (1968)
    1387: [1388, 1389, 4124],  # Jaws (1975)
    3527: [3697, 79057, 8810, 56801],  # Predator (1987)
    2951: [3681, 1201],  # Fistful of Dollars, A (Per un pugno di dollari) (1964)
    307: [308, 306],  # Three Colors: Blue (Trois couleurs: Bleu) (1993)
    3868: [3869, 370],  # Naked Gun: From the Files of Police Squad!, The (1988)
    4085: [4084, 420],  # Beverly Hills Cop (1984)
    112852: [122918],  # Guardians of the Galaxy (2014)
    4571: [4980],  # Bill & Ted's Excellent Adventure (1989)
    3253: [3254],  # Wayne's World (1992)
    2403: [2402, 2404, 57528],  # First Blood (Rambo: First Blood) (1982)
}

FAMOUS: dict[int, list[int]] = dict(list(FRANCHISES.items())[:12])
