"""The local Neo4j server from the official jars: config, start, Browser, stop."""

from __future__ import annotations

import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest

from movierec.core.db import connect
from movierec.core.errors import LocalServerError
from movierec.core.settings import Neo4jSettings
from movierec.server.local import LocalServer, find_java
from tests.conftest import free_port


def test_config_listens_on_loopback_only(tmp_path: Path) -> None:
    server = LocalServer.from_env(home=tmp_path, bolt_port=7801, http_port=7802)
    conf = server.write_config().read_text()
    assert "server.default_listen_address=127.0.0.1\n" in conf
    assert "server.bolt.listen_address=127.0.0.1:7801\n" in conf
    assert "server.http.listen_address=127.0.0.1:7802\n" in conf
    assert "dbms.security.auth_enabled=true\n" in conf
    assert "0.0.0.0" not in conf


def test_bad_memory_size_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(LocalServerError, match="heap size 'lots' is not a size"):
        LocalServer.from_env(home=tmp_path, heap="lots")


def test_not_running_status(tmp_path: Path) -> None:
    st = LocalServer.from_env(home=tmp_path, bolt_port=free_port()).status()
    assert (st.running, st.pid, st.version, st.browser_served) == (False, None, None, False)
    assert LocalServer.from_env(home=tmp_path).stop() is False


def test_port_in_use_is_reported(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        server = LocalServer.from_env(home=tmp_path, bolt_port=port, http_port=free_port())
        with pytest.raises(LocalServerError, match=f"port {port} on 127.0.0.1 is already in use"):
            server.start()


def test_neo4j_home_without_jars_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_HOME", str(tmp_path / "no-neo4j"))
    with pytest.raises(LocalServerError, match="has no Neo4j jars"):
        LocalServer.from_env(home=tmp_path).lib_dir()


@pytest.mark.neo4j
def test_start_serves_bolt_and_browser_then_stop_leaves_nothing(tmp_path: Path) -> None:
    try:
        find_java()
    except LocalServerError as e:
        pytest.fail(str(e))
    server = LocalServer.from_env(home=tmp_path / "home", bolt_port=free_port(), http_port=free_port())
    try:
        status = server.start(password="a-test-password", timeout=180)
        assert status.running
        assert status.version == "5.26.30 community"
        assert status.browser_served
        with urllib.request.urlopen(server.browser_url(), timeout=10) as resp:
            assert b"<title>Neo4j Browser</title>" in resp.read()
        assert (server.password_file.stat().st_mode & 0o777) == 0o600
        graph = connect(Neo4jSettings(uri=server.bolt_uri(), password="a-test-password"))
        graph.write("CREATE (:Genre {name: 'Drama'})")
        graph.close()
        pid = status.pid
        assert pid is not None
        # starting again is a no-op that reports the same server
        assert server.start(timeout=10).pid == pid
    finally:
        assert server.stop() is True
    assert server.pid() is None
    ours = subprocess.run(["pgrep", "-f", str(tmp_path / "home")], capture_output=True, text=True).stdout
    assert ours == ""
    # a restart keeps the data and the password stored at first start
    try:
        server.start(timeout=180)
        graph = connect(Neo4jSettings(uri=server.bolt_uri(), password=server.stored_password()))
        assert graph.read("MATCH (g:Genre) RETURN g.name AS name")[0]["name"] == "Drama"
        graph.close()
    finally:
        server.stop()
