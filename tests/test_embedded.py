"""The embedded database launcher and ``jwstdata db`` commands, as real processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pymongo import MongoClient

from jwstdata.config import Settings
from jwstdata.db import open_database
from jwstdata.db.embedded import EmbeddedServer, find_executable, free_port
from jwstdata.errors import DatabaseUnavailableError, EmbeddedServerError


def _cli(args: list[str], env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jwstdata", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def home_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
    env["JWSTDATA_HOME"] = str(tmp_path / "home")
    return env


def test_start_status_reuse_and_stop(home_env: dict[str, str]) -> None:
    try:
        started = _cli(["db", "start", "--json"], home_env)
        assert started.returncode == 0, started.stderr
        first = json.loads(started.stdout)
        status = json.loads(_cli(["db", "status", "--json"], home_env).stdout)
        assert status["running"] is True and status["embedded"] is True
        assert status["uri"] == first["uri"]
        assert status["uri"].startswith("mongodb://127.0.0.1:") and status["uri"].endswith("/")
        # The URI is usable as printed.
        port = int(status["uri"].rsplit(":", 1)[1].rstrip("/"))
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        # A second start reuses the same server.
        again = json.loads(_cli(["db", "start", "--json"], home_env).stdout)
        assert again["pid"] == first["pid"]
        data_dir = Path(home_env["JWSTDATA_HOME"]) / "db" / "data"
        assert data_dir.is_dir() and any(data_dir.iterdir())
    finally:
        stopped = _cli(["db", "stop"], home_env)
    assert stopped.returncode == 0
    status = _cli(["db", "status", "--json"], home_env)
    assert json.loads(status.stdout)["running"] is False


def test_port_in_use_is_one_clear_line(home_env: dict[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        env = {**home_env, "JWSTDATA_EMBEDDED_PORT": str(busy.getsockname()[1])}
        result = _cli(["db", "start"], env)
    assert result.returncode != 0
    assert "already in use" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_missing_server_executable_is_one_clear_line(tmp_path: Path) -> None:
    """Run with a Python whose directory has no secantusd-py and a PATH without one."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "python").symlink_to(sys.executable)
    env = {
        "PATH": str(fake_bin),
        "JWSTDATA_HOME": str(tmp_path / "home"),
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    result = subprocess.run(
        [str(fake_bin / "python"), "-m", "jwstdata", "db", "start"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "secantusd-py not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_data_dir_that_cannot_be_created_is_reported(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "db").mkdir(parents=True)
    (home / "db" / "data").write_text("not a directory")
    with pytest.raises(EmbeddedServerError, match="cannot start the embedded database"):
        EmbeddedServer(Settings(home=home)).start()


def test_server_that_exits_at_once_is_reported(tmp_path: Path) -> None:
    """A broken server configuration makes the process exit: a clear error, no hang."""
    home = tmp_path / "home"
    (home / "db").mkdir(parents=True)
    (home / "db" / "secantusd.toml").write_text("this is = = not toml\n")
    server = EmbeddedServer(Settings(home=home, embedded_start_timeout=20))
    with pytest.raises(EmbeddedServerError) as info:
        server.start()
    assert "exited with code" in info.value.message and "TOML" in info.value.message
    assert server.state() is None


def test_unreachable_server_is_database_unavailable_with_redacted_uri(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    settings = Settings(
        mongodb_uri=f"mongodb://admin:s3cr3t-pw@127.0.0.1:{port}/",
        server_selection_timeout_ms=300,
        connect_retries=1,
        home=tmp_path,
    )
    with pytest.raises(DatabaseUnavailableError) as info:
        open_database(settings)
    assert "s3cr3t-pw" not in info.value.message
    assert f"mongodb://admin:***@127.0.0.1:{port}/" in info.value.message
    assert "hint" in info.value.message or "check" in info.value.message


def test_cli_unreachable_server_prints_one_redacted_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
    env.update(
        JWSTDATA_MONGODB_URI="mongodb://admin:s3cr3t-pw@127.0.0.1:9/",
        JWSTDATA_SERVER_SELECTION_TIMEOUT_MS="300",
        JWSTDATA_CONNECT_RETRIES="0",
        JWSTDATA_HOME=str(tmp_path),
    )
    result = _cli(["search", "--json"], env)
    assert result.returncode == 1
    assert "database unavailable" in result.stderr and "s3cr3t-pw" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_one_database_whatever_the_current_directory(tmp_path: Path) -> None:
    """No JWSTDATA_HOME: every directory finds the same per-user database, initialised."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir()
    second_dir.mkdir()

    def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "jwstdata", *args],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=90,
        )

    try:
        # The first command of a fresh install creates the server and initialises it.
        searched = run(["search", "--json"], first_dir)
        assert searched.returncode == 0, searched.stderr
        assert json.loads(searched.stdout)["items"] == []
        assert "started the embedded database" in searched.stderr
        assert "`jwstdata db stop` stops it" in searched.stderr
        indexes = json.loads(run(["db", "indexes", "--json"], first_dir).stdout)
        assert all(row["present"] for row in indexes)
        status = json.loads(run(["db", "status", "--json"], first_dir).stdout)
        elsewhere = json.loads(run(["db", "status", "--json"], second_dir).stdout)
        assert elsewhere["running"] and elsewhere["pid"] == status["pid"]
        again = run(["search", "--table"], second_dir)
        assert again.returncode == 0 and again.stderr == ""  # reused: nothing to announce
        assert (tmp_path / "xdg" / "jwstdata" / "db" / "server.json").is_file()
        assert not (first_dir / "var").exists() and not (second_dir / "var").exists()
    finally:
        run(["db", "stop"], first_dir)


def test_server_errors_are_one_line_without_the_error_document(db_handle) -> None:
    from jwstdata.db import translate_errors
    from jwstdata.errors import DatabaseError

    if not db_handle.features.hint_enforced:
        pytest.skip("this server accepts and ignores unknown hints (hint_enforced)")
    with pytest.raises(DatabaseError) as info, translate_errors(db_handle.redacted_uri):
        list(db_handle.db["jwst_data"].find({}).hint("no_such_index"))
    assert "jwstdata db init" in info.value.message
    assert "full error" not in info.value.message and "{" not in info.value.message


def test_server_keeps_no_oplog_and_opens_a_directory_written_with_one(tmp_path: Path) -> None:
    """The embedded server runs standalone (no oplog to prune on every write), and a data
    directory written by an earlier launcher, which ran it as a one-node replica set with
    an oplog, opens with its documents."""
    home = tmp_path / "home"
    server = EmbeddedServer(Settings(home=home))
    data_dir = home / "db" / "data"
    data_dir.mkdir(parents=True)
    port = free_port()
    uri = f"mongodb://127.0.0.1:{port}/"
    old = subprocess.Popen(
        [
            *(find_executable(), "--host", "127.0.0.1", "--port", str(port)),
            *("--storage-path", str(data_dir), "--log-level", "WARNING"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=20_000)
        assert client.admin.command("hello").get("setName") == "secantus"
        client["jwst_data_analysis"]["kept"].insert_many([{"n": n} for n in range(50)])
        assert client["local"]["oplog.rs"].count_documents({"op": "i"}) >= 50
        client.close()
    finally:
        old.terminate()
        old.wait(timeout=30)

    state = server.start()
    try:
        client = MongoClient(state.uri, serverSelectionTimeoutMS=20_000)
        assert "setName" not in client.admin.command("hello")
        kept = client["jwst_data_analysis"]["kept"]
        assert sorted(d["n"] for d in kept.find()) == list(range(50))
        kept.insert_one({"n": 50})
        assert kept.count_documents({}) == 51
        assert "oplog.rs" not in client["local"].list_collection_names()
        client.close()
    finally:
        server.stop()
