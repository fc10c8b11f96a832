"""docker-compose.yml: valid, secret-free, and wired as the README says (no Docker engine runs here)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"


def test_compose_services() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    neo4j, app = spec["services"]["neo4j"], spec["services"]["app"]
    assert neo4j["image"] == "neo4j:5.26-community"
    text = COMPOSE.read_text()
    assert "# the current line instead" in text and "image: neo4j:2026.08.1-community" in text
    assert {p.rsplit(":", 1)[-1] for p in neo4j["ports"]} == {"7474", "7687"}
    assert "neo4j-data:/data" in neo4j["volumes"]
    assert "cypher-shell" in " ".join(neo4j["healthcheck"]["test"])
    assert app["build"] == "."
    assert app["depends_on"] == {"neo4j": {"condition": "service_healthy"}}
    assert app["command"][0] == "pipeline"
    assert set(spec["volumes"]) == {"neo4j-data", "movierec-cache"}


def test_compose_holds_no_secret() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    for service in spec["services"].values():
        for key, value in service.get("environment", {}).items():
            if "PASSWORD" in key or key == "NEO4J_AUTH":
                assert "${NEO4J_PASSWORD" in str(value), f"{key} must come from the environment"


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_compose_config_parses() -> None:
    compose = _compose_command()
    if compose is None:
        pytest.skip("no docker compose client to validate with")
    env = {"NEO4J_PASSWORD": "x", "PATH": "/usr/local/bin:/usr/bin:/bin"}
    proc = subprocess.run([*compose, "config", "-q"], cwd=ROOT, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
