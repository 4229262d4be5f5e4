"""MAST import benchmark: ``jwstdata mast import`` vs astroquery's ``download_products``.

    python bench/mast_import_bench.py [--files 40] [--mib 8] [--bandwidth-mib 8]
                                      [--concurrency 8] [--repeat 1] [--uri mongodb://...]

Starts the tests' MAST-compatible server (``tests/mast_server.py``) in this process on
127.0.0.1 with one synthetic JWST observation: an observation row and ``--files`` SCIENCE
``cal`` product rows. One valid FITS file of about ``--mib`` MiB (a small pipeline header and a
float32 SCI image, no DQ/ERR) is served under every product's name and dataURI. Each download
connection is limited to ``--bandwidth-mib`` MiB/s (``faults.bandwidth``) to mimic a real
archive. Then it times:

1. ``jwstdata mast import OBS_ID --json`` as a subprocess (fresh ``JWSTDATA_HOME`` and
   database each run, ``JWSTDATA_MAST_CONCURRENCY=--concurrency``): plan, parallel download,
   size check, FITS headers, sha256 while copying into local storage, records, lineage. The
   wall time includes interpreter start-up and imports; the job's own time is reported too.
2. astroquery: ``Observations.get_product_list(obsid)`` then
   ``Observations.download_products(products, download_dir=..., cache=False)``, in this
   process, with every astroquery MAST URL pointed at the local server. Name resolution is
   restricted to 127.0.0.1/localhost while it runs (anything else fails the benchmark), the
   columns-config request is pre-seeded so nothing but ``/api/v0/invoke`` and
   ``/api/v0.1/Download/file`` is asked for, and proxies from the environment are ignored.

The test server does not implement ``HEAD``, which astroquery sends before every download
(``head_safe=True``) and which MAST answers; the benchmark adds a ``HEAD`` handler answering the
same headers as the ``GET`` without a body.

Both must fetch the same bytes (checked). Reported: speed-up = astroquery seconds / jwstdata
seconds; target at least 2.0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from _common import database_uri, emit
from jwstdata.config import Settings
from jwstdata.db import init_database, open_database
from jwstdata.db.indexes import RECORDS
from tests import fitsfactory as ff
from tests import mast_server as ms
from tests.mast_server import MastTestServer

MIB = 1024 * 1024
PROGRAM = "09999"
OBSID = 99990001
OBS_ID = f"jw{PROGRAM}-o001_t001_nircam_clear-f444w"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


# --- the synthetic observation -------------------------------------------------------------


def make_fits(folder: Path, mib: float) -> bytes:
    """One valid cal file of about ``mib`` MiB: pipeline headers and a float32 SCI only."""
    side = max(int(math.sqrt(mib * MIB / 4)), 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = ff.write_product(
            folder / "template_cal.fits",
            "cal",
            shape=(side, side),
            dtype="float32",
            dq=False,
            extras=False,
            ids=ff.Ids(program=PROGRAM),
        )
    return path.read_bytes()


def observation_row() -> dict[str, Any]:
    return {
        "intentType": "science", "obs_collection": "JWST", "provenance_name": "CALJWST",
        "instrument_name": "NIRCAM/IMAGE", "project": "JWST", "filters": "F444W",
        "wavelength_region": "INFRARED", "target_name": "BENCH-FIELD",
        "target_classification": "Galaxy", "obs_id": OBS_ID, "s_ra": 151.7574,
        "s_dec": -40.4372, "dataproduct_type": "image", "proposal_pi": "Bench, Mark",
        "calib_level": 3, "t_min": 59733.5875, "t_max": 59733.612413, "t_exptime": 1288.5,
        "em_min": 3880.0, "em_max": 4986.0, "obs_title": "jwstdata MAST import benchmark",
        "t_obs_release": 59772.5, "proposal_id": str(int(PROGRAM)), "proposal_type": "GO",
        "sequence_number": None, "dataRights": "PUBLIC", "mtFlag": False, "srcDen": None,
        "s_region": "POLYGON ICRS 151.7374 -40.4572 151.7774 -40.4572 151.7774 -40.4172 "
                    "151.7374 -40.4172",
        "jpegURL": None, "dataURL": None, "obsid": OBSID, "objID": OBSID + 1_000_000,
    }  # fmt: skip


def product_rows(count: int, size: int) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        ids = ff.Ids(program=PROGRAM, exposure=f"{n // 2 + 1:05d}")
        detector = ("nrcalong", "nrcblong")[n % 2]
        name = ff.exposure_name("cal", ids=ids, detector=detector)
        rows.append({
            "obsID": OBSID + 100 + n, "obs_collection": "JWST", "dataproduct_type": "image",
            "obs_id": name.removesuffix("_cal.fits"),
            "description": "exposure (L2b): Calibrated 2D exposure data", "type": "S",
            "dataURI": f"mast:JWST/product/{name}", "productType": "SCIENCE",
            "productGroupDescription": ms.MINIMUM_RECOMMENDED,
            "productSubGroupDescription": "CAL", "productDocumentationURL": "",
            "project": "CALJWST", "prvversion": "1.14.0", "proposal_id": str(int(PROGRAM)),
            "productFilename": name, "size": size, "parent_obsid": OBSID,
            "dataRights": "PUBLIC", "calib_level": 2,
        })  # fmt: skip
    return rows


def _do_head(self: Any) -> None:
    """``HEAD`` on a download: the ``GET`` headers without the body (as MAST answers)."""
    self._record()
    split = urlsplit(self.path)
    uri = (parse_qs(split.query).get("uri") or [""])[0]
    content = self.mast.file_bytes(uri) if split.path == ms.DOWNLOAD else None
    if content is None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return
    self.send_response(200)
    self.send_header("Content-Type", "application/octet-stream")
    self.send_header("Accept-Ranges", "bytes")
    self.send_header("Content-Disposition", f"attachment; filename={uri.rsplit('/', 1)[-1]}")
    self.send_header("Content-Length", str(len(content)))
    self.end_headers()


def start_server(folder: Path, files: int, mib: float, bandwidth: float) -> MastTestServer:
    ms._Handler.do_HEAD = _do_head  # type: ignore[attr-defined]
    content = make_fits(folder, mib)
    server = MastTestServer(folder / "served").start()
    rows = product_rows(files, len(content))
    server.add_observations([observation_row()])
    server.add_products(rows)
    for row in rows:
        server.add_file(row["dataURI"], content)
    server.faults.bandwidth = bandwidth or None
    return server


# --- jwstdata ---------------------------------------------------------------------------


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def time_jwstdata(server: MastTestServer, uri: str, concurrency: int) -> dict[str, Any]:
    database = f"bench_mast_{uuid.uuid4().hex[:6]}"
    with (
        tempfile.TemporaryDirectory(prefix="jwstdata-mast-bench-home-") as home,
        open_database(Settings(mongodb_uri=uri), database=database) as handle,
    ):
        init_database(handle)
        env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
        env.update(
            JWSTDATA_MAST_URL=server.url,
            JWSTDATA_MONGODB_URI=uri,
            JWSTDATA_DATABASE=database,
            JWSTDATA_HOME=home,
            JWSTDATA_MAST_CONCURRENCY=str(concurrency),
        )
        try:
            start = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-m", "jwstdata", "mast", "import", OBS_ID, "--json"],
                env=env, capture_output=True, text=True, timeout=3600,
            )  # fmt: skip
            elapsed = time.perf_counter() - start
            if run.returncode != 0:
                raise SystemExit(f"jwstdata mast import failed:\n{run.stderr[-4000:]}")
            job = json.loads(run.stdout)
            result = job.get("result") or {}
            if job.get("state") != "completed" or result.get("failed"):
                raise SystemExit(f"jwstdata import did not complete: {json.dumps(job)[:4000]}")
            stored = Path(home) / "files"
            stored_bytes = sum(p.stat().st_size for p in stored.rglob("*") if p.is_file())
            records = handle.db[RECORDS].count_documents({})
        finally:
            handle.client.drop_database(database)
    return {
        "seconds": elapsed,
        "job_seconds": _seconds(job.get("startedAt"), job.get("finishedAt")),
        "files": int(result.get("imported", 0)),
        "bytes": int(result.get("bytes", 0)),
        "stored_bytes": stored_bytes,
        "records": records,
    }


# --- astroquery -------------------------------------------------------------------------


@contextlib.contextmanager
def local_network_only() -> Iterator[list[str]]:
    """Refuse name resolution (hence connections) to anything but this machine."""
    refused: list[str] = []
    original = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOCAL_HOSTS:
            refused.append(name)
            raise OSError(f"mast_import_bench: network access to {name!r} refused")
        return original(host, *args, **kwargs)

    socket.getaddrinfo = guarded  # type: ignore[assignment]
    try:
        yield refused
    finally:
        socket.getaddrinfo = original  # type: ignore[assignment]


def astroquery_observations(server_url: str) -> Any:
    """An ``ObservationsClass`` whose every MAST URL points at ``server_url``, no caching."""
    import astroquery
    from astroquery.mast import ObservationsClass, conf
    from astroquery.mast.discovery_portal import PortalAPI

    astroquery.log.setLevel("WARNING")
    with contextlib.suppress(Exception):
        astroquery.cache_conf.cache_active = False
    conf.server = server_url  # read by objects made from here on (auth, services)
    observations = ObservationsClass()
    observations._session.trust_env = False  # no proxy from the environment
    portal = observations._portal_api_connection
    portal.MAST_REQUEST_URL = server_url + "/api/v0/invoke"
    portal.COLUMNS_CONFIG_URL = server_url + "/portal/Mashup/Mashup.asmx/columnsconfig"
    portal.MAST_DOWNLOAD_URL = server_url + "/api/v0.1/Download/file"
    portal.MAST_BUNDLE_URL = server_url + "/api/v0.1/Download/bundle"
    # The test server has no columns-config endpoint; MAST's only adds display defaults.
    PortalAPI._column_configs.setdefault(observations._caom_products, {})
    return observations


def time_astroquery(server: MastTestServer, workdir: Path) -> dict[str, Any]:
    observations = astroquery_observations(server.url)
    download_dir = workdir / f"astroquery-{uuid.uuid4().hex[:6]}"
    download_dir.mkdir()
    with local_network_only() as refused, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        products = observations.get_product_list(str(OBSID))
        manifest = observations.download_products(
            products, download_dir=str(download_dir), cache=False, verbose=False,
            productType="SCIENCE",
        )  # fmt: skip
        elapsed = time.perf_counter() - start
    if refused:
        raise SystemExit(f"astroquery tried to reach {sorted(set(refused))}")
    bad = [row for row in manifest if row["Status"] != "COMPLETE"]
    if bad:
        raise SystemExit(f"astroquery downloads failed: {bad[:3]}")
    paths = [Path(str(p)) for p in manifest["Local Path"]]
    return {
        "seconds": elapsed,
        "files": len(paths),
        "bytes": sum(p.stat().st_size for p in paths),
    }


# --- main -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--mib", type=float, default=8.0, help="approximate size of each file")
    parser.add_argument(
        "--bandwidth-mib", type=float, default=8.0, help="per-connection MiB/s (0: unlimited)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="JWSTDATA_MAST_CONCURRENCY")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; medians reported")
    parser.add_argument("--uri")
    args = parser.parse_args()
    bandwidth = args.bandwidth_mib * MIB
    with tempfile.TemporaryDirectory(prefix="jwstdata-mast-bench-") as tmp:
        workdir = Path(tmp)
        server = start_server(workdir, args.files, args.mib, bandwidth)
        try:
            with database_uri(args.uri) as uri:
                ours = [time_jwstdata(server, uri, args.concurrency) for _ in range(args.repeat)]
            theirs = [time_astroquery(server, workdir) for _ in range(args.repeat)]
            downloads = [r for r in server.requests if r.path == ms.DOWNLOAD]
        finally:
            server.stop()
    file_size = len(next(iter(server.files.values())))
    total = args.files * file_size
    for run in ours:
        assert run["files"] == args.files and run["bytes"] == total, run
        assert run["stored_bytes"] == total, run
    for run in theirs:
        assert run["files"] == args.files and run["bytes"] == total, run
    jwst_s = statistics.median(r["seconds"] for r in ours)
    job_s = [r["job_seconds"] for r in ours if r["job_seconds"] is not None]
    astro_s = statistics.median(r["seconds"] for r in theirs)
    floor_serial = total / bandwidth if bandwidth else None
    waves = math.ceil(args.files / max(args.concurrency, 1))
    emit(
        "mast_import",
        {
            "files": args.files,
            "bytes_per_file": file_size,
            "bytes": total,
            "equal_bytes": True,
            "bandwidth_limit_bytes_per_second_per_connection": int(bandwidth) or None,
            "jwstdata_concurrency": args.concurrency,
            "repeat": args.repeat,
            "jwstdata_seconds": round(jwst_s, 2),
            "jwstdata_job_seconds": round(statistics.median(job_s), 2) if job_s else None,
            "jwstdata_records": ours[-1]["records"],
            "astroquery_seconds": round(astro_s, 2),
            "speedup": round(astro_s / jwst_s, 2),
            "target_speedup": 2.0,
            "meets_target": astro_s / jwst_s >= 2.0,
            "floor_seconds_one_connection": round(floor_serial, 2) if floor_serial else None,
            "floor_seconds_jwstdata_concurrency": (
                round(waves * file_size / bandwidth, 2) if bandwidth else None
            ),
            "jwstdata_effective_mib_per_second": round(total / jwst_s / MIB, 1),
            "astroquery_effective_mib_per_second": round(total / astro_s / MIB, 1),
            "download_requests": len(downloads),
        },
    )


if __name__ == "__main__":
    main()
