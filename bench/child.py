"""Run one measurement in a fresh Python process, to read its own peak RSS.

``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is a high-water mark for the whole
process, so every measurement whose memory matters (export, train) runs in a child
started for it alone: ``python -m bench.child MODULE:FUNCTION ARGS.json RESULT.json``.
The child imports the driver, torch, PyG and the target's module, records its RSS (the
baseline), calls the function with the JSON arguments, and writes the function's
dict plus ``baseline_rss_mib`` and ``peak_rss_mib`` to the result file.

A different interpreter (e.g. one whose driver has ``neo4j-rust-ext``) can run the child.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from movierec.core.errors import MovierecError

logger = logging.getLogger(__name__)


class ChildError(MovierecError):
    """A measurement's child process failed."""


def current_rss_mib() -> float:
    """This process's resident set size now, in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_in_child(
    target: str,
    kwargs: dict[str, Any],
    python: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Call ``target`` (``"module:function"``) with ``kwargs`` in a new process.

    Args:
        target (str): ``"package.module:function"``; the function takes JSON-able keyword
            arguments and returns a JSON-able dict.
        kwargs (dict): Its arguments.
        python (str, optional): Interpreter to run. (default: this one)
        env (dict, optional): Extra environment variables for the child.
        timeout (float, optional): Seconds before the child is killed.

    Returns:
        dict: The function's result plus ``baseline_rss_mib`` and ``peak_rss_mib``.

    Raises:
        ChildError: If the child exits with an error (its stderr tail is in the message).
    """
    with tempfile.TemporaryDirectory(prefix="bench-child-") as tmp:
        args_file, result_file = Path(tmp) / "args.json", Path(tmp) / "result.json"
        args_file.write_text(json.dumps(kwargs))
        cmd = [python or sys.executable, "-m", "bench.child", target, str(args_file), str(result_file)]
        child_env = {**os.environ, **(env or {})}
        try:
            proc = subprocess.run(cmd, env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise ChildError(f"{target} did not finish within {timeout:.0f} s") from e
        if proc.returncode != 0 or not result_file.exists():
            tail = "\n".join(proc.stderr.splitlines()[-25:])
            raise ChildError(f"{target} failed (exit {proc.returncode}):\n{tail}")
        result: dict[str, Any] = json.loads(result_file.read_text())
        return result


def _main(argv: list[str]) -> int:
    target, args_file, result_file = argv
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    module_name, func_name = target.split(":")
    # the same imports in every child, so that baselines compare: the driver, torch and PyG
    for name in ("neo4j", "torch", "torch_geometric"):
        importlib.import_module(name)
    func = getattr(importlib.import_module(module_name), func_name)
    kwargs = json.loads(Path(args_file).read_text())
    baseline = current_rss_mib()
    result = dict(func(**kwargs))
    result["baseline_rss_mib"] = round(baseline, 1)
    result["peak_rss_mib"] = round(peak_rss_mib(), 1)
    Path(result_file).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
