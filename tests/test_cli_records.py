"""``jwstdata records`` and ``jwstdata search`` as real processes, printing API-shaped JSON."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from jwstdata.db import RecordRepository
from jwstdata.storage import LocalStorage
from tests.factories import make_record


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jwstdata", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_records_get_prints_the_api_form(repo: RecordRepository, cli_env: dict) -> None:
    record = repo.create(make_record(tags=["ero"]))
    result = _cli(["records", "get", str(record.id), "--json"], cli_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == record.to_json()


def test_records_get_unknown_is_one_line_and_exit_1(repo: RecordRepository, cli_env: dict) -> None:
    result = _cli(["records", "get", "0123456789abcdef01234567", "--json"], cli_env)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: record 0123456789abcdef01234567 not found"


def test_records_delete_removes_the_record_and_its_file(
    repo: RecordRepository, cli_env: dict, settings
) -> None:
    storage = LocalStorage(settings.local_storage_root)
    record = repo.create(make_record())
    storage.write_stream(record.file_path, io.BytesIO(b"SIMPLE  = T"))
    result = _cli(["records", "delete", str(record.id), "--yes"], cli_env)
    assert result.returncode == 0, result.stderr
    assert repo.collection.count_documents({"_id": record.id}) == 0
    assert not storage.exists(record.file_path)


def test_search_filters_pages_and_totals(repo: RecordRepository, cli_env: dict) -> None:
    for i in range(7):
        repo.create(
            make_record(
                imageInfo={"instrument": "MIRI" if i < 5 else "NIRCAM", "targetName": "M16"}
            )
        )
    first = _cli(["search", "--instrument", "miri", "--limit", "3", "--total", "--json"], cli_env)
    assert first.returncode == 0, first.stderr
    page = json.loads(first.stdout)
    assert page["total"] == 5 and len(page["items"]) == 3 and page["nextCursor"]
    second = json.loads(
        _cli(
            [
                "search",
                "--instrument",
                "miri",
                "--limit",
                "3",
                "--cursor",
                page["nextCursor"],
                "--json",
            ],
            cli_env,
        ).stdout
    )
    ids = [r["id"] for r in page["items"] + second["items"]]
    assert len(set(ids)) == 5 and second["nextCursor"] is None


def test_search_rejects_bad_values_with_one_line(repo: RecordRepository, cli_env: dict) -> None:
    result = _cli(["search", "--limit", "0"], cli_env)
    assert result.returncode == 2 and "'--limit'" in result.stderr
    assert "Traceback" not in result.stderr
    table = _cli(["search", "--table"], cli_env)
    assert table.returncode == 0


def test_table_ids_are_whole_in_a_narrow_terminal(repo: RecordRepository, cli_env: dict) -> None:
    long_name = "jw02733-o001_t001_nircam_clear-f090w-sub640a210r_" + "x" * 40 + "_i2d.fits"
    ids = [str(repo.create(make_record(fileName=long_name)).id) for _ in range(3)]
    result = _cli(["search", "--table"], {**cli_env, "COLUMNS": "60"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 60  # the table fits: other columns give way
    for record_id in ids:
        assert any(record_id in line for line in lines), result.stdout
