"""Pictures of a run, saved in its run directory (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_curve(history: list[dict[str, Any]], path: Path, model: str) -> None:
    """Training loss and the validation metric per epoch (one line per ensemble member), as ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    val_key = next((k for k in (history[0] if history else {}) if k.startswith("val_")), None)
    fig, (ax_loss, ax_val) = plt.subplots(1, 2, figsize=(10, 4))
    members = sorted({row["member"] for row in history})
    for member in members:
        rows = [row for row in history if row["member"] == member]
        label = f"member {member}" if len(members) > 1 else None
        ax_loss.plot([r["epoch"] for r in rows], [r["loss"] for r in rows], label=label)
        if val_key is not None:
            ax_val.plot([r["epoch"] for r in rows], [r[val_key] for r in rows], label=label)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss")
    ax_val.set_xlabel("epoch")
    ax_val.set_ylabel(val_key.replace("val_", "validation ") if val_key else "validation")
    if len(members) > 1:
        ax_val.legend()
    fig.suptitle(f"{model}: training curve")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
