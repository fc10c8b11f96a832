"""The CLI: every command documents itself, and connection failures are one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from movierec.cli import cli
from tests.conftest import free_port


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        out.append(path)
        if isinstance(command, click.Group):
            out.extend(_commands(command, path))
    return out


ALL_COMMANDS = [(), *_commands(cli)]


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda p: " ".join(p) or "movierec")
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Example:" in result.output, f"`movierec {' '.join(path)} --help` has no example"


def test_neo4j_status_when_not_running(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["neo4j", "status", "--home", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == f"not running (home {tmp_path})\n"


def test_neo4j_stop_when_not_running(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["neo4j", "stop", "--home", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == "not running\n"


def test_neo4j_start_on_a_taken_port_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["neo4j", "start", "--home", str(tmp_path), "--bolt-port", str(port), "--http-port", str(free_port())]
        )
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: port {port} on 127.0.0.1 is already in use")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("model", ["ease", "gfcf", "lightgcn", "sage"])
def test_a_fresh_process_prints_no_warning_of_torch_or_pyg(tmp_path: Path, model: str) -> None:
    """torch.jit.script's deprecation (PyG's import), CSR "in beta" and implicit sparse invariant checks are silenced
    where they start; a new process is needed to see them (torch warns once per process, pytest filters its own)."""
    from movierec.gnn.data.export import save_heterodata
    from tests.gnn.tiny import tiny_data

    save_heterodata(tiny_data(), tmp_path / "g.pt")
    commands = [["--help"], ["train", "--help"],
                ["train", "--data", str(tmp_path / "g.pt"), "--model", model, "--epochs", "2", "--hidden", "8",
                 "--ensemble", "1", "--device", "cpu", "--runs-dir", str(tmp_path), "-q"]]
    for args in commands:
        done = subprocess.run([sys.executable, "-m", "movierec", *args], capture_output=True, text=True, timeout=300)
        assert (done.returncode, done.stderr) == (0, ""), args
