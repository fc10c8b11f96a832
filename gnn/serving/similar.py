"""Similar movies from co-ratings and genres: for each movie, the movies whose raters mostly rated it too (pure torch).

With ``n_ij`` the number of users who rated both ``i`` and ``j`` (a rating of any value counts; repeated pairs
count once), ``n_j`` the number who rated ``j`` and ``J_ij`` the Jaccard overlap of the two movies' genres, movie
``j``'s score as a neighbour of ``i`` is::

    s(i, j) = n_ij / (n_j + λ) · (1 + γ J_ij) / (1 + γ)        λ = SMOOTHING (10), γ = GENRE_WEIGHT (0.2)

The first factor is the share of ``j``'s raters who also rated ``i``, smoothed so that a film with three raters
who all rated ``i`` does not outrank one with 200 raters of whom 150 did. It is the conditional probability
``P(i | j)``, the limit α = 0 of the asymmetric cosine ``n_ij / (n_i^α n_j^(1-α))`` (Aiolli 2013), and it is not
symmetric: a sequel's raters nearly all saw the original, so the sequel comes first among the original's
neighbours, where the plain cosine ``n_ij / sqrt(n_i n_j)`` put the most rated films of the catalogue first (Toy
Story: Independence Day, Jurassic Park, Forrest Gump, then Toy Story 2 7th).

The second is the genres, which the co-ratings cannot see: among the films that the same heavy raters rated, the
one of the same kind comes first (Guardians of the Galaxy: its sequel 6th rather than 18th, behind Ant-Man and
Captain America; Predator: Predator 2 9th rather than 25th). It only reorders movies that were co-rated (a movie
nobody rated with ``i`` is never its neighbour), a movie without genres has ``J = 0``, and dividing by ``1 + γ``
keeps the scores in ``(0, 1]`` (equal genres: the plain share). ``genres=None`` leaves the factor out.

Chosen by ``python -m bench.similar_measures`` on ml-latest-small (README, "Similar movies"): against the plain,
asymmetric and shrunk cosine, the adjusted cosine, lift, EASE's weights and the GNN's embeddings, on the first
franchise mate of 53 series (``tests/franchises.py``), the genre agreement of the top 10, and the next movie a
user rates on the temporal split; γ read on each half of the series apart (README).

It scales by chunks of movies: for movies ``c0..c1`` the sparse product ``Rᵀ[c0:c1] @ R``
gives the co-rating counts of the chunk against every movie, scattered into a dense ``[chunk, M]``
buffer and reduced with ``topk``. Memory is the dense ``chunk × M`` buffer plus the sparse product,
which for the most rated movies holds nearly ``chunk × M`` entries too (and more while torch builds it).

The genre factor of a chunk is one ``[chunk, G] × [G, M]`` product (:func:`genre_factor`), which fold-in
(:mod:`movierec.gnn.serving.new_movies`) uses too, so that a new movie is scored as a retrain would score it.

The writeback (:mod:`movierec.gnn.serving.similar_writeback`) stores the result as
``(:Movie)-[:SIMILAR {score, rank, runId}]->(:Movie)``.

Example:
    >>> edges = torch.tensor([[0, 0, 1, 1, 2], [0, 1, 0, 1, 2]])  # user row, movie row
    >>> movies, scores = similar_movies(edges, num_users=3, num_movies=3, k=2, smoothing=0.0)
    >>> movies.tolist(), scores.tolist()
    ([[1, -1], [0, -1], [-1, -1]], [[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
"""

from __future__ import annotations

import torch
from torch import Tensor

from movierec.core.quiet import csr_tensors

DEFAULT_SIMILAR_K = 20
DEFAULT_CHUNK = 256  # movies per sparse product: memory is a few times chunk x movies floats
PAD_INDEX = -1  # neighbour index of a padded slot (score 0.0)
SMOOTHING = 10.0  # λ in n_ij / (n_j + λ): README, "Similar movies" (5 and 20 measured beside it)
GENRE_WEIGHT = 0.2  # γ in (1 + γ J_ij) / (1 + γ): README, "Similar movies" (0.1 to 0.5 measured beside it)


def genre_factor(genres: Tensor, counts: Tensor, others: Tensor, other_counts: Tensor,
                 weight: float = GENRE_WEIGHT) -> Tensor:
    """``[n, M]`` the factor ``(1 + γ J) / (1 + γ)`` of ``n`` movies against ``M`` others.

    Args:
        genres (Tensor): ``[n, G]`` 0/1 genre one-hots.
        counts (Tensor): ``[n]`` each movie's number of genres (at least its one-hots' sum: a genre outside the
            vocabulary counts in the union, never in the intersection).
        others (Tensor): ``[M, G]`` the others' one-hots, over the same vocabulary.
        other_counts (Tensor): ``[M]`` their numbers of genres.
        weight (float): γ. (default: :data:`GENRE_WEIGHT`)
    """
    inter = genres.float() @ others.float().T
    # in place: two [n, M] buffers, whatever n (a chunk of 256 against 62,000 movies at 25M)
    union = (counts.float().unsqueeze(1) + other_counts.float().unsqueeze(0)).sub_(inter).clamp_(min=1)
    return inter.div_(union).mul_(weight).add_(1).div_(1 + weight)  # no genre on either side: J = 0 / 1


@torch.no_grad()
def similar_movies(
    edge_index: Tensor, num_users: int, num_movies: int, k: int = DEFAULT_SIMILAR_K, chunk: int = DEFAULT_CHUNK,
    smoothing: float = SMOOTHING, genres: Tensor | None = None, genre_weight: float = GENRE_WEIGHT,
) -> tuple[Tensor, Tensor]:
    """Each movie's ``k`` most similar movies, ``j`` scored ``n_ij / (n_j + λ) · (1 + γ J_ij) / (1 + γ)`` for ``i``.

    Args:
        edge_index (Tensor): ``[2, E]`` rating edges, row 0 the user index, row 1 the movie index.
        num_users (int): Number of users ``U`` (user indices are below it).
        num_movies (int): Number of movies ``M`` (movie indices are below it).
        k (int): Neighbours per movie. (default: ``20``)
        chunk (int): Movies scored at once; memory is a few times ``chunk × M`` floats. (default: ``256``)
        smoothing (float): λ, added to each neighbour's raters. (default: :data:`SMOOTHING`)
        genres (Tensor, optional): ``[M, G]`` the movies' genre one-hots
            (:func:`movierec.gnn.data.hetero.movie_genres`); ``None``: no genre factor, ``n_ij / (n_j + λ)``.
            (default: ``None``)
        genre_weight (float): γ. (default: :data:`GENRE_WEIGHT`)

    Returns:
        tuple[Tensor, Tensor]: ``[M, k]`` neighbour movie indices (int64) and ``[M, k]`` scores
        (float32, in ``(0, 1]``), best first (ties: lower index first among those kept). A movie is never
        its own neighbour. Movies with fewer than ``k`` co-rated movies are padded with index ``-1`` and
        score ``0.0``.

    Raises:
        ValueError: ``k`` or ``chunk`` below 1, ``smoothing`` or ``genre_weight`` negative, ``genres`` not
            ``[M, G]``, or an index out of range.
    """
    if k < 1 or chunk < 1:
        raise ValueError(f"k and chunk must be at least 1, got k={k}, chunk={chunk}")
    if smoothing < 0:
        raise ValueError(f"smoothing must be at least 0, got {smoothing}")
    if genre_weight < 0:
        raise ValueError(f"genre_weight must be at least 0, got {genre_weight}")
    if genres is not None and (genres.dim() != 2 or genres.size(0) != num_movies):
        raise ValueError(f"genres must be [{num_movies}, G], got {list(genres.shape)}")
    genres = genres.float().cpu() if genres is not None else None
    movies_out = torch.full((num_movies, k), PAD_INDEX, dtype=torch.long)
    scores_out = torch.zeros(num_movies, k, dtype=torch.float32)
    if num_movies == 0 or edge_index.numel() == 0:
        return movies_out, scores_out
    users, movies = edge_index[0].long().cpu(), edge_index[1].long().cpu()
    if int(users.min()) < 0 or int(users.max()) >= num_users or int(movies.min()) < 0 \
            or int(movies.max()) >= num_movies:
        raise ValueError(f"edge indices out of range for {num_users} users and {num_movies} movies")
    # binary: one entry per (user, movie) pair, sorted by movie then user (Rᵀ in CSR order)
    keys = torch.unique(movies * num_users + users)
    t_rows, t_cols = keys // num_users, keys % num_users
    count = torch.bincount(t_rows, minlength=num_movies)
    t_crow = torch.zeros(num_movies + 1, dtype=torch.long)
    t_crow[1:] = torch.cumsum(count, 0)
    # R [U, M] in CSR: the same pairs sorted by user then movie
    order = torch.argsort(t_cols * num_movies + t_rows)
    r_cols = t_rows[order]
    r_crow = torch.zeros(num_users + 1, dtype=torch.long)
    r_crow[1:] = torch.cumsum(torch.bincount(t_cols, minlength=num_users), 0)
    with csr_tensors():
        r = torch.sparse_csr_tensor(r_crow, r_cols, torch.ones(len(r_cols)), (num_users, num_movies),
                                    check_invariants=False)
        # COO x COO: torch's CSR @ CSR product leaks ~14 MB a call on CPU (torch 2.x), which grew a 25M graph's
        # 240 chunks from 4 to 19 GiB; COO runs as fast here (1M ratings: 8.3 s) and frees what it allocates
        r_coo = r.to_sparse_coo()
        norm = count.float() + smoothing  # n_j + λ, per neighbour
        genre_counts = genres.float().sum(1) if genres is not None else torch.zeros(num_movies)
        kk = min(k, num_movies)
        buf = torch.zeros(min(chunk, num_movies), num_movies)
        for c0 in range(0, num_movies, chunk):
            c1 = min(c0 + chunk, num_movies)
            lo, hi = int(t_crow[c0]), int(t_crow[c1])
            a = torch.sparse_csr_tensor(t_crow[c0:c1 + 1] - lo, t_cols[lo:hi], torch.ones(hi - lo),
                                        (c1 - c0, num_users), check_invariants=False)
            co = torch.sparse.mm(a.to_sparse_coo(), r_coo)  # [c, M] co-rating counts, exact in float32
            dense = buf[: c1 - c0]
            dense.fill_(float("-inf"))
            i, j = co.indices()
            dense[i, j] = (co.values() / norm[j]).clamp(max=1.0)  # n_ij ≤ n_j: at most 1 (float32 rounding)
            if genres is not None:  # a positive factor: the unrated stay -inf
                dense.mul_(genre_factor(genres[c0:c1], genre_counts[c0:c1], genres, genre_counts, genre_weight))
            rows = torch.arange(c1 - c0)
            dense[rows, rows + c0] = float("-inf")  # never its own neighbour
            top, idx = torch.topk(dense, kk, dim=1)
            # best first, ties by lower index: sort by index, then stably by score
            by_index = torch.argsort(idx, dim=1)
            top, idx = top.gather(1, by_index), idx.gather(1, by_index)
            by_score = torch.sort(top, dim=1, descending=True, stable=True).indices
            top, idx = top.gather(1, by_score), idx.gather(1, by_score)
            valid = torch.isfinite(top)
            movies_out[c0:c1, :kk] = torch.where(valid, idx, PAD_INDEX)
            scores_out[c0:c1, :kk] = torch.where(valid, top, 0.0)
    return movies_out, scores_out
