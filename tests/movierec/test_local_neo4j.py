"""The local Neo4j server from the official jars: config, start, Browser, stop."""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest

from movierec.core.db import connect
from movierec.core.errors import LocalServerError
from movierec.core.settings import Neo4jSettings
from movierec.server import lines
from movierec.server.lines import Line, check_store, jars_line, java_flags
from movierec.server.local import LocalServer, find_java
from tests.conftest import free_port


def test_config_listens_on_loopback_only_and_advertises_its_ports(tmp_path: Path) -> None:
    server = LocalServer.from_env(home=tmp_path, bolt_port=7801, http_port=7802)
    conf = server.write_config().read_text()
    assert "server.default_listen_address=127.0.0.1\n" in conf
    assert "server.bolt.listen_address=127.0.0.1:7801\n" in conf
    assert "server.http.listen_address=127.0.0.1:7802\n" in conf
    assert "server.bolt.advertised_address=127.0.0.1:7801\n" in conf
    assert "server.http.advertised_address=127.0.0.1:7802\n" in conf
    assert "dbms.security.auth_enabled=true\n" in conf
    assert "0.0.0.0" not in conf
    assert "default_language" not in conf  # 5.26 has no such setting (strict validation would refuse it)
    assert "db.query.default_language=CYPHER_25\n" in server.write_config(Line("2026.08.1")).read_text()
    assert "default_language" not in server.write_config(Line("2025.10.1")).read_text()


def test_each_line_has_its_main_class_java_and_flags() -> None:
    lts, current = Line("5.26.30"), Line("2026.08.1")
    assert (lts.entry_point, lts.java, lts.java_text()) == ("org.neo4j.server.CommunityEntryPoint", (17, 21),
                                                            "Java 17 or 21")
    assert (current.entry_point, current.java) == ("org.neo4j.server.Neo4jCommunity", (21, None))
    assert java_flags(lts, 17) == []
    assert java_flags(current, 25) == ["--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                                       "--add-modules=jdk.incubator.vector"]


def test_versions_are_checked_and_read_from_the_jars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOVIEREC_NEO4J_VERSION", raising=False)
    assert LocalServer.from_env(home=tmp_path).version == "5.26.30"
    monkeypatch.setenv("MOVIEREC_NEO4J_VERSION", "2026.08.1")
    assert LocalServer.from_env(home=tmp_path).version == "2026.08.1"
    assert LocalServer.from_env(home=tmp_path, version="5.26.12").version == "5.26.12"
    for bad in ("latest", "4.4.30", "5.20.0", "2026.08.1; rm -rf /"):
        with pytest.raises(LocalServerError, match="is not supported"):
            LocalServer.from_env(home=tmp_path, version=bad)
    lib = tmp_path / "lib"
    lib.mkdir()
    with pytest.raises(LocalServerError, match="not a Neo4j server's lib"):
        jars_line(lib)
    (lib / "neo4j-kernel-api-2026.08.1.jar").touch()
    (lib / "neo4j-kernel-2026.08.1.jar").touch()
    assert jars_line(lib) == Line("2026.08.1")


def test_a_java_in_the_line_s_range_is_found_or_one_line_says_what_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def jdk(name: str, version: str) -> Path:
        java = tmp_path / "jvm" / name / "bin" / "java"
        java.parent.mkdir(parents=True)
        java.write_text(f'#!/bin/sh\necho \'openjdk version "{version}" 2025-09-16\' >&2\n')
        java.chmod(0o755)
        return java

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(lines, "JVM_DIRS", tmp_path / "jvm")
    seventeen = jdk("java-17", "17.0.17")
    with pytest.raises(LocalServerError, match=r"Neo4j 2026.08.1 needs Java 21 or newer, and found Java 17 "):
        find_java(Line("2026.08.1"))
    assert find_java(Line("5.26.30")) == (str(seventeen), 17)
    newest = jdk("temurin-25", "25.0.1")
    assert find_java(Line("2026.08.1")) == (str(newest), 25)
    monkeypatch.setenv("JAVA_HOME", str(newest.parent.parent))  # JAVA_HOME first, where it fits the line
    assert find_java(Line("5.26.30")) == (str(seventeen), 17)
    assert find_java(Line("2026.08.1")) == (str(newest), 25)


def test_a_store_of_the_other_line_is_refused(tmp_path: Path) -> None:
    check_store("5.26.30", True, Line("5.26.12"), tmp_path)
    check_store("", True, Line("2026.08.1"), tmp_path)  # unknown: as before this check
    check_store("5.26.30", False, Line("2026.08.1"), tmp_path)  # no database yet
    with pytest.raises(LocalServerError, match="holds a database of Neo4j 5.26.30; Neo4j 2026.08.1 would migrate"):
        check_store("5.26.30", True, Line("2026.08.1"), tmp_path)


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
    # the version MOVIEREC_NEO4J_VERSION asks for (scripts/test_neo4j_line.sh: the current line), else 5.26.30
    server = LocalServer.from_env(home=tmp_path / "home", bolt_port=free_port(), http_port=free_port())
    try:
        status = server.start(password="a-test-password", timeout=180)
        assert status.running
        assert status.version == f"{server.version} community"
        assert status.browser_served
        # the discovery document Browser reads advertises this server's ports, not the defaults
        with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/", timeout=10) as resp:
            discovery = json.loads(resp.read())
        assert discovery["bolt_direct"] == f"bolt://127.0.0.1:{server.bolt_port}"
        assert discovery["neo4j_version"] == server.version
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
