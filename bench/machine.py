"""What a result was measured on: recorded with every benchmark figure.

Cores, memory, CPU model, load average (other work on a shared machine skews figures),
and the versions of Python, Java, Neo4j, the driver (and whether its Rust extension is
loaded), torch and PyG.
"""

from __future__ import annotations

import logging
import os
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return 0.0


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _java_version() -> str | None:
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'version "([^"]+)"', out)
    return match.group(1) if match else None


def rust_ext_loaded() -> bool:
    """Whether the neo4j driver in this interpreter decodes records with ``neo4j-rust-ext``."""
    try:
        import neo4j._rust  # noqa: F401
    except ImportError:
        return False
    return True


def machine_info(neo4j_version: str | None = None) -> dict[str, Any]:
    """A dict describing this machine and the software versions a benchmark ran with.

    Args:
        neo4j_version (str, optional): The server's version as it reports it, if known.

    Returns:
        dict: ``cores``, ``ram_gib``, ``cpu``, ``load_avg_1m``, ``python``, ``java``, ``neo4j``,
        ``neo4j_driver``, ``rust_ext``, ``torch``, ``torch_geometric``, ``cuda``.
    """
    try:
        load = round(os.getloadavg()[0], 2)
    except OSError:
        load = None
    cuda = False
    try:
        import torch

        cuda = bool(torch.cuda.is_available())
    except ImportError:
        pass
    return {
        "cores": os.cpu_count(),
        "ram_gib": _mem_total_gib(),
        "cpu": _cpu_model(),
        "load_avg_1m": load,
        "python": platform.python_version(),
        "java": _java_version(),
        "neo4j": neo4j_version,
        "neo4j_driver": _version("neo4j"),
        "rust_ext": _version("neo4j-rust-ext") if rust_ext_loaded() else None,
        "torch": _version("torch"),
        "torch_geometric": _version("torch-geometric"),
        "cuda": cuda,
    }
