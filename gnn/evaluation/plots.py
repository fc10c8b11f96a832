"""Pictures of a run, saved in its run directory (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor


def plot_curve(history: list[dict[str, Any]], path: Path, model: str) -> None:
    """Training loss and the validation metric per epoch (one line per ensemble member), as ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def val_key_of(rows: list[dict[str, Any]]) -> str | None:
        return next((k for k in (rows[0] if rows else {}) if k.startswith("val_")), None)

    fig, (ax_loss, ax_val) = plt.subplots(1, 2, figsize=(10, 4))
    members = list(dict.fromkeys(row["member"] for row in history))  # ensemble members, or a combined run's parts
    keys = {member: val_key_of([row for row in history if row["member"] == member]) for member in members}
    for member in members:
        rows = [row for row in history if row["member"] == member]
        name = f"member {member}" if isinstance(member, int) else str(member)
        label = name if len(members) > 1 else None
        ax_loss.plot([r["epoch"] for r in rows], [r["loss"] for r in rows], label=label)
        key = keys[member]
        if key is not None:
            named = f"{label}: {key.replace('val_', '')}" if label and len(set(keys.values())) > 1 else label
            ax_val.plot([r["epoch"] for r in rows], [r[key] for r in rows], label=named)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss")
    ax_val.set_xlabel("epoch")
    shown = {k for k in keys.values() if k}
    ax_val.set_ylabel(next(iter(shown)).replace("val_", "validation ") if len(shown) == 1 else "validation")
    if len(members) > 1:
        ax_val.legend()
        ax_loss.legend()
    fig.suptitle(f"{model}: training curve")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# The colours of the movie map: a handful of genre families, the first that matches a movie's genres wins (so a
# cartoon is Animation / Children, not Comedy); MovieLens has 20 genres, too many colours to read.
GENRE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Animation / Children", ("Animation", "Children")),
    ("Documentary", ("Documentary",)),
    ("Horror / Thriller", ("Horror", "Thriller")),
    ("Sci-Fi / Fantasy", ("Sci-Fi", "Fantasy")),
    ("Action / Adventure / War", ("Action", "Adventure", "War", "Western")),
    ("Romance / Musical", ("Romance", "Musical")),
    ("Comedy", ("Comedy",)),
    ("Drama / Crime", ("Drama", "Crime", "Mystery", "Film-Noir", "IMAX")),
)


def genre_group(genre_matrix: Tensor, genres: list[str]) -> Tensor:
    """``[M]`` each movie's :data:`GENRE_GROUPS` index (``-1``: none of its genres is in a group, or no genre)."""
    group = torch.full((genre_matrix.size(0),), -1, dtype=torch.long)
    for i, (_, members) in reversed(list(enumerate(GENRE_GROUPS))):  # the first group wins: assign it last
        columns = [genres.index(name) for name in members if name in genres]
        if columns:
            group[(genre_matrix[:, columns] > 0).any(1)] = i
    return group


def plot_movies(movie_embedding: Tensor, genre_matrix: Tensor, genres: list[str], counts: Tensor,
                titles: list[str] | None, path: Path, model: str, shown: int = 3_000, labelled: int = 25) -> None:
    """A 2-D map of the movie embeddings (PCA, :func:`torch.pca_lowrank`), as ``path`` (PNG).

    The ``shown`` most-rated movies are drawn, coloured by their genre family (:data:`GENRE_GROUPS`: eight colours,
    Animation / Children before Comedy for a cartoon), and the ``labelled`` most-rated are named.
    A space with structure shows genres in regions; one dominated by popularity shows a fan.

    Args:
        movie_embedding (torch.Tensor): ``[M, d]`` embeddings.
        genre_matrix (torch.Tensor): ``[M, G]`` multi-hot genres (columns named by ``genres``).
        genres (list[str]): Genre names.
        counts (torch.Tensor): ``[M]`` training ratings per movie.
        titles (list[str], optional): Titles for the labels (movie indices when missing).
        path (Path): Where to save.
        model (str): Named in the title.
        shown (int): Movies drawn. (default: ``3000``)
        labelled (int): Movies named. (default: ``25``)
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = torch.argsort(counts, descending=True)[:shown]
    emb = movie_embedding[order].double()
    emb = emb - emb.mean(0)
    q = min(2, emb.size(1), emb.size(0))
    _, _, v = torch.pca_lowrank(emb, q=q, center=False)
    xy = (emb @ v[:, :2]).numpy() if q == 2 else torch.cat([emb @ v, torch.zeros(len(emb), 1)], 1).numpy()
    main = genre_group(genre_matrix[order, :len(genres)], genres)
    fig, ax = plt.subplots(figsize=(11, 8))
    palette = plt.get_cmap("tab10")
    mask = (main == -1).numpy()
    if mask.any():
        ax.scatter(xy[mask, 0], xy[mask, 1], s=8, alpha=0.4, color="lightgrey", label="(other / no genre)")
    for i, (name, _) in enumerate(GENRE_GROUPS):
        mask = (main == i).numpy()
        if mask.any():
            ax.scatter(xy[mask, 0], xy[mask, 1], s=8, alpha=0.6, color=palette(i), label=name)
    for j in range(min(labelled, len(order))):
        name = titles[int(order[j])] if titles else str(int(order[j]))
        ax.annotate(name[:28], xy[j], fontsize=7, alpha=0.9)
    ax.set_title(f"{model}: movie embeddings, first two principal components ({len(order):,} most rated movies)")
    ax.legend(fontsize=8, markerscale=2, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
