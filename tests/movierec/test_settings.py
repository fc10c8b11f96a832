from __future__ import annotations

from pathlib import Path

import pytest

from movierec.core.settings import Neo4jSettings


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MOVIEREC_HOME", str(tmp_path))
    monkeypatch.setenv("NEO4J_URI", "neo4j://db.example:7687")
    monkeypatch.setenv("NEO4J_USERNAME", "alice")
    monkeypatch.setenv("NEO4J_PASSWORD", "pw")
    monkeypatch.setenv("NEO4J_DATABASE", "movies")
    s = Neo4jSettings.resolve()
    assert (s.uri, s.user, s.password, s.database) == ("neo4j://db.example:7687", "alice", "pw", "movies")


def test_arguments_override_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MOVIEREC_HOME", str(tmp_path))
    monkeypatch.setenv("NEO4J_URI", "neo4j://db.example:7687")
    s = Neo4jSettings.resolve(uri="bolt://other:1", database="x")
    assert (s.uri, s.database) == ("bolt://other:1", "x")


def test_local_server_password_is_the_fallback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MOVIEREC_HOME", str(tmp_path))
    (tmp_path / "neo4j").mkdir()
    (tmp_path / "neo4j" / "password").write_text("stored-secret\n")
    (tmp_path / "neo4j" / "server.json").write_text('{"bolt_port": 7699, "http_port": 7499}')
    s = Neo4jSettings.resolve()
    assert (s.uri, s.user, s.password, s.database) == ("bolt://127.0.0.1:7699", "neo4j", "stored-secret", "neo4j")
    # the stored password is for the local server only
    assert Neo4jSettings.resolve(uri="bolt://elsewhere:7687").password is None


def test_password_never_in_repr() -> None:
    assert "hunter2" not in repr(Neo4jSettings(password="hunter2"))
