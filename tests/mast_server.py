"""A local MAST-compatible HTTP server for the tests, with fault injection.

It speaks the two MAST endpoints jwstdata uses, with MAST's request and response shapes:

- ``POST /api/v0/invoke`` with the form field ``request=<json>``: ``Mast.Name.Lookup``,
  ``Mast.Caom.Cone``, ``Mast.Caom.Filtered``, ``Mast.Caom.Filtered.Position`` and
  ``Mast.Caom.Products``; answers ``{"status", "msg", "fields", "data", "paging"}`` and pages by
  the request's ``pagesize``/``page``. Filters follow MAST's filter sets: ``values`` lists
  (``separator`` splits a column into tokens), ``{"min", "max"}`` ranges, and ``freeText`` with
  ``%`` wildcards. A position matches like MAST's footprint test would: the pointing within the
  radius plus ``footprint_margin`` degrees (true angular distance).
- ``GET /api/v0.1/Download/file?uri=<dataURI>`` with ``Range: bytes=a-[b]`` support (206 and
  ``Content-Range``; 416 past the end). Files under ``EXCLUSIVE_ACCESS`` need
  ``Authorization: token <t>`` with a token in ``accepted_tokens``.

Data: ``tests/data/mast/`` holds rows written in MAST's format for a realistic program (ERO 2733,
NGC 3132: a NIRCam and a MIRI stage-3 observation with their exposures, L1-L3 products,
association files, previews and guide-star files; and program 4498 under exclusive access) and
the name-resolver answer for NGC 3132. ``tests/data/mast/astroquery/`` holds real MAST answers
recorded by astroquery (HST rows; see the README there): ``caom.json`` rows join the
observations and ``products.json`` the products, so real shapes go through the same code.
Product files are made on first use with ``tests.fitsfactory.write_product`` (FITS with JWST
headers matching the row and its observation; SCI and DQ only), or as small association
JSON, catalog ECSV, pool CSV and preview files; listings report each file's real ``size``.

Faults (``server.faults``, reset per test): ``executing_polls`` EXECUTING answers before each
query completes; ``fail_statuses`` (one injected status per request, e.g. ``[500, 503]``);
``retry_after``; ``slow_seconds``/``slow_times`` (delay before answering); ``drop_after_bytes``/
``drop_times`` (close the connection mid-body; a body no longer than the cut uses no drop);
``truncate_at`` (never send bytes past this file offset, while ``Content-Length`` announces the
full body); ``ignore_range``; ``bandwidth`` (bytes/s per connection); ``page_size_cap``;
``redirect_downloads_to`` (an origin to redirect
downloads to, e.g. ``server.alt_url``: the same server under ``localhost``). Every request is
logged in ``server.requests`` with its headers.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import threading
import time
import warnings
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from astropy.io import fits

from jwstdata.naming import NameKind, parse_name
from tests import fitsfactory as ff

DATA_DIR = Path(__file__).parent / "data" / "mast"
ASTROQUERY_DIR = DATA_DIR / "astroquery"
INVOKE = "/api/v0/invoke"
DOWNLOAD = "/api/v0.1/Download/file"
MINIMUM_RECOMMENDED = "Minimum Recommended Products"

_generated: dict[str, bytes] = {}  # file name -> content, shared by every server of the run
_generated_lock = threading.Lock()


@dataclass
class Faults:
    executing_polls: int = 0
    fail_statuses: list[int] = field(default_factory=list)
    fail_on: str = "any"  # "invoke", "download" or "any"
    retry_after: str | None = None
    slow_seconds: float = 0.0
    slow_times: int | None = None  # None: every request
    slow_on: str = "any"
    drop_after_bytes: int | None = None
    drop_times: int = 1
    truncate_at: int | None = None
    ignore_range: bool = False
    bandwidth: float | None = None
    page_size_cap: int | None = None
    redirect_downloads_to: str | None = None


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str = ""
    request: dict[str, Any] | None = None  # the decoded ``request=`` JSON of an invoke

    @property
    def service(self) -> str | None:
        return None if self.request is None else self.request.get("service")

    @property
    def host(self) -> str:
        return self.headers.get("host", "")


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _like(pattern: str, value: str) -> bool:
    """SQL ``LIKE`` with ``%``, case-insensitive (MAST's freeText)."""
    regex = ".*".join(re.escape(part) for part in pattern.split("%"))
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


def angular_distance(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    """Great-circle distance in degrees (haversine)."""
    p1, p2 = math.radians(dec1), math.radians(dec2)
    dp, dl = p2 - p1, math.radians(ra2 - ra1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return math.degrees(2 * math.asin(min(1.0, math.sqrt(h))))


def _matches_filter(row: dict[str, Any], entry: dict[str, Any]) -> bool:
    value = row.get(entry.get("paramName", ""))
    values = entry.get("values") or []
    free = entry.get("freeText")
    ranges = [v for v in values if isinstance(v, dict)]
    exact = [str(v).lower() for v in values if not isinstance(v, dict)]
    if ranges:
        if value is None:
            return False
        return any(
            r.get("min", -math.inf) <= float(value) <= r.get("max", math.inf) for r in ranges
        )
    if value is None:
        return False
    separator = entry.get("separator")
    tokens = [t.strip() for t in str(value).split(separator)] if separator else [str(value)]
    hit = any(t.lower() in exact for t in tokens) if exact else False
    if free:
        hit = hit or any(_like(free, t) for t in tokens)
    return hit or (not exact and not free)


def _fields(rows: list[dict[str, Any]], known: list[dict[str, str]]) -> list[dict[str, str]]:
    types = {f["name"]: f["type"] for f in known}
    out = dict(types)
    for row in rows:
        for key, value in row.items():
            if key not in out:
                kind = type(value).__name__
                out[key] = {"int": "int", "float": "float", "bool": "boolean"}.get(kind, "string")
    return [{"name": k, "type": v} for k, v in out.items()]


class MastTestServer:
    """The server; ``start()`` binds a free port on 127.0.0.1 and serves from a thread."""

    def __init__(self, files_dir: Path, *, footprint_margin: float = 0.05) -> None:
        self.files_dir = files_dir
        self.footprint_margin = footprint_margin
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []
        self.accepted_tokens: set[str] = set()
        self.observations: list[dict[str, Any]] = []
        self.products: list[dict[str, Any]] = []
        self.resolver: dict[str, list[dict[str, Any]]] = {}
        self.scripts: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[str, bytes] = {}
        self.exclusive_uris: set[str] = set()
        self._obs_fields: list[dict[str, str]] = []
        self._product_fields: list[dict[str, str]] = []
        self._jobs: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._load_data()

    # --- data ------------------------------------------------------------------------

    def _load_data(self) -> None:
        obs = _load(DATA_DIR / "jw02733_observations.json")
        hst_obs = _load(ASTROQUERY_DIR / "caom.json")
        products = _load(DATA_DIR / "jw02733_products.json")
        hst_products = _load(ASTROQUERY_DIR / "products.json")
        self._obs_fields = obs["fields"] + [
            f for f in hst_obs["fields"] if f["name"] not in {g["name"] for g in obs["fields"]}
        ]
        self._product_fields = products["fields"]
        self.add_observations(obs["data"] + hst_obs["data"])
        self.add_products(products["data"] + hst_products["data"])
        self.resolver["ngc 3132"] = _load(DATA_DIR / "resolver_ngc3132.json")["resolvedCoordinate"]
        recorded = _load(ASTROQUERY_DIR / "resolver.json")["resolvedCoordinate"]
        self.resolver[recorded[0]["searchString"].lower()] = recorded

    def add_observations(self, rows: Iterable[dict[str, Any]]) -> None:
        self.observations.extend(dict(r) for r in rows)

    def add_products(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.products.append(dict(row))
            if str(row.get("dataRights", "")).upper() == "EXCLUSIVE_ACCESS":
                self.exclusive_uris.add(row["dataURI"])

    def add_resolver(self, name: str, ra: float, dec: float) -> None:
        self.resolver[name.lower()] = [
            {"searchString": name.lower(), "resolver": "TEST", "canonicalName": name,
             "ra": ra, "decl": dec}
        ]  # fmt: skip

    def add_file(self, data_uri: str, content: bytes, *, exclusive: bool = False) -> None:
        self.files[data_uri] = content
        if exclusive:
            self.exclusive_uris.add(data_uri)

    def script(self, service: str, answers: Iterable[dict[str, Any]]) -> None:
        """Answer ``service`` with these bodies, in order, instead of computing them."""
        self.scripts.setdefault(service, []).extend(answers)

    def reset(self) -> None:
        with self._lock:
            self.faults = Faults()
            self.requests.clear()
            self._jobs.clear()
            self.scripts.clear()

    # --- files --------------------------------------------------------------------------

    def file_bytes(self, data_uri: str) -> bytes | None:
        if data_uri in self.files:
            return self.files[data_uri]
        row = next((p for p in self.products if p["dataURI"] == data_uri), None)
        if row is None:
            return None
        name = row["productFilename"]
        with _generated_lock:
            if name not in _generated:
                _generated[name] = self._make_file(row)
            return _generated[name]

    def _observation_of(self, obs_id: str | None) -> dict[str, Any] | None:
        return next((o for o in self.observations if o.get("obs_id") == obs_id), None)

    def _make_file(self, row: dict[str, Any]) -> bytes:
        name = row["productFilename"]
        path = self.files_dir / name
        if path.exists():
            return path.read_bytes()
        parsed = parse_name(name)
        obs = self._observation_of(row.get("obs_id")) or {}
        if parsed.kind is NameKind.association:
            content = self._association(row, parsed.asn_type or "image3").encode()
        elif parsed.kind is NameKind.pool:
            content = b"PROGRAM|OBS_NUM|EXPOSURE|FILENAME\n02733|001|1|jw02733001001_02101_00001\n"
        elif parsed.kind is NameKind.preview:
            content = (
                b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + zlib.compress(name.encode()) + b"\xff\xd9"
            )
        elif parsed.suffix == "cat" and parsed.extension == "ecsv":
            content = (
                b"# %ECSV 1.0\n# ---\n# datatype:\n# - {name: label, datatype: int64}\n"
                b"# - {name: sky_centroid.ra, datatype: float64}\n"
                b"# - {name: sky_centroid.dec, datatype: float64}\n"
                b"label sky_centroid.ra sky_centroid.dec\n"
                b"1 151.7571 -40.4370\n2 151.7580 -40.4375\n"
            )
        elif parsed.extension == "fits" and parsed.kind in (NameKind.exposure, NameKind.source):
            self._write_fits(path, parsed, obs)
            return path.read_bytes()
        elif parsed.extension == "fits" and parsed.kind is NameKind.guidestar:
            header = fits.Header({"TELESCOP": "JWST", "INSTRUME": "FGS", "FILENAME": name})
            fits.PrimaryHDU(header=header).writeto(path, overwrite=True)
            return path.read_bytes()
        else:  # anything else (HST rows): deterministic filler of a bounded size
            size = min(int(row.get("size") or 2880), 64 * 1024)
            seed = zlib.crc32(name.encode()).to_bytes(4, "big")
            content = (seed * (size // 4 + 1))[:size]
        path.write_bytes(content)
        return content

    def _write_fits(self, path: Path, parsed: Any, obs: dict[str, Any]) -> None:
        instrument = (parsed.instrument or "nircam").upper()
        tokens = [t for t in str(obs.get("filters") or "").split(";") if t]
        options: dict[str, Any] = {"instrument": instrument}
        if instrument == "NIRSPEC" and len(tokens) == 2:
            options.update(filter=tokens[0], grating=tokens[1])
        elif tokens:
            options["filter"] = tokens[0]
        if obs.get("t_min"):
            options["date"] = ff.MJD_EPOCH + timedelta(days=float(obs["t_min"]))
        if obs.get("s_ra") is not None:
            options.update(ra=float(obs["s_ra"]), dec=float(obs["s_dec"]))
        product = parsed.suffix if parsed.suffix in ff.PRODUCTS else "i2d"
        if parsed.kind is NameKind.exposure:
            options["detector"] = (parsed.detector or "").upper() or None
            options["ids"] = ff.Ids(
                program=parsed.program, observation=parsed.observation, visit=parsed.visit,
                visit_group=parsed.visit_group, sequence=parsed.parallel_sequence,
                activity=parsed.activity, exposure=parsed.exposure_number,
            )  # fmt: skip
        else:
            options["stage3"] = True
            options["ids"] = ff.Ids(program=parsed.program, observation=parsed.observation or "001")
        if product in ("x1d", "x1dints"):
            options["nrows"] = 20
        with warnings.catch_warnings():  # long header comments are cut; that is fine here
            warnings.simplefilter("ignore", fits.verify.VerifyWarning)
            # extras=False: primary and SCI headers as the pipeline writes them, SCI and DQ
            # data, no ERR/VAR_*/ASDF extensions (keeps the files small and quick to make).
            ff.write_product(path, product, extras=False, **options)

    def _association(self, row: dict[str, Any], asn_type: str) -> str:
        """An association listing the members this server knows for the row's observation."""
        siblings = sorted(
            (p for p in self.products if p.get("parent_obsid") == row.get("parent_obsid")),
            key=lambda p: p["productFilename"],
        )
        name = row["productFilename"]
        parsed = parse_name(name)
        if asn_type.endswith("2"):
            rates = [p for p in siblings if parse_name(p["productFilename"]).suffix == "rate"]
            index = int(name.rsplit("_", 2)[-2]) - 1
            chosen = rates[index : index + 1] if index < len(rates) else []
            products = [
                {"name": p["productFilename"].rsplit("_", 1)[0],
                 "members": [{"expname": p["productFilename"], "exptype": "science"}]}
                for p in chosen
            ]  # fmt: skip
        else:
            members = [p for p in siblings if parse_name(p["productFilename"]).suffix == "cal"]
            stem = next(
                (p["productFilename"].rsplit("_", 1)[0] for p in siblings
                 if parse_name(p["productFilename"]).kind is NameKind.source),
                name,
            )  # fmt: skip
            products = [
                {"name": stem,
                 "members": [{"expname": p["productFilename"], "exptype": "science"}
                             for p in members]}
            ]  # fmt: skip
        body = {
            "asn_type": asn_type,
            "asn_rule": f"candidate_Asn_Lv{asn_type[-1]}",
            "version_id": parsed.timestamp,
            "code_version": "1.8.2",
            "program": parsed.program,
            "asn_id": (parsed.observation_base_id or "").split("-")[-1] or None,
            "asn_pool": f"jw{parsed.program}_{parsed.timestamp}_pool",
            "products": products,
        }
        return json.dumps(body, indent=2)

    # --- services -----------------------------------------------------------------------

    def _answer(self, service: str, params: dict[str, Any]) -> tuple[list[dict], list[dict]]:
        """(rows, fields) for a paged service."""
        if service == "Mast.Caom.Products":
            wanted = {s.strip() for s in str(params.get("obsid", "")).split(",") if s.strip()}
            rows: list[dict[str, Any]] = []
            for product in self.products:
                parent = str(product.get("parent_obsid", product.get("obsID")))
                own = str(product.get("obsID"))
                if parent in wanted:
                    rows.append(dict(product))
                elif own in wanted:
                    rows.append({**product, "parent_obsid": product.get("obsID")})
            for row in rows:
                content = self.file_bytes(row["dataURI"])
                if content is not None:
                    row["size"] = len(content)
            return rows, _fields(rows, self._product_fields)
        rows = list(self.observations)
        if service in ("Mast.Caom.Filtered", "Mast.Caom.Filtered.Position"):
            filters = params.get("filters") or []
            rows = [r for r in rows if all(_matches_filter(r, f) for f in filters)]
        if service == "Mast.Caom.Filtered.Position":
            ra, dec, radius = (float(x) for x in str(params["position"]).split(","))
            rows = self._cone(rows, ra, dec, radius + self.footprint_margin)
        elif service == "Mast.Caom.Cone":
            rows = self._cone(
                rows, float(params["ra"]), float(params["dec"]), float(params["radius"])
            )
        elif service != "Mast.Caom.Filtered":
            raise KeyError(service)
        return rows, _fields(rows, self._obs_fields)

    @staticmethod
    def _cone(rows: list[dict], ra: float, dec: float, radius: float) -> list[dict]:
        out = []
        for row in rows:
            if row.get("s_ra") is None or row.get("s_dec") is None:
                continue
            distance = angular_distance(ra, dec, float(row["s_ra"]), float(row["s_dec"]))
            if distance <= radius:
                out.append({**row, "distance": round(distance * 3600, 3)})
        return out

    def invoke(self, request: dict[str, Any]) -> dict[str, Any]:
        service = str(request.get("service", ""))
        params = request.get("params") or {}
        with self._lock:
            scripted = self.scripts.get(service)
            if scripted:
                return scripted.pop(0)
            job = json.dumps({k: v for k, v in request.items() if k != "page"}, sort_keys=True)
            polls = self._jobs.get(job, 0)
            if polls < self.faults.executing_polls:
                self._jobs[job] = polls + 1
                return {"status": "EXECUTING", "msg": "", "data": [], "fields": []}
        if service == "Mast.Name.Lookup":
            name = str(params.get("input", "")).strip().lower()
            return {"resolvedCoordinate": self.resolver.get(name, []), "status": ""}
        try:
            rows, fields = self._answer(service, params)
        except KeyError:
            return {"status": "ERROR", "msg": f"Unknown service: {service}", "data": []}
        pagesize = int(request.get("pagesize") or len(rows) or 1)
        if self.faults.page_size_cap:
            pagesize = min(pagesize, self.faults.page_size_cap)
        page = max(int(request.get("page") or 1), 1)
        pages = max(math.ceil(len(rows) / pagesize), 1)
        chunk = rows[(page - 1) * pagesize : page * pagesize]
        return {
            "status": "COMPLETE",
            "msg": "",
            "fields": fields,
            "data": chunk,
            "paging": {
                "page": page, "pageSize": pagesize, "pagesFiltered": pages, "rows": len(chunk),
                "rowsFiltered": len(rows), "rowsTotal": len(rows),
            },
        }  # fmt: skip

    # --- faults -------------------------------------------------------------------------

    def _applies(self, where: str, kind: str) -> bool:
        return where in ("any", kind)

    def take_failure(self, kind: str) -> int | None:
        with self._lock:
            if self.faults.fail_statuses and self._applies(self.faults.fail_on, kind):
                return self.faults.fail_statuses.pop(0)
        return None

    def take_slowness(self, kind: str) -> float:
        with self._lock:
            f = self.faults
            if f.slow_seconds <= 0 or not self._applies(f.slow_on, kind):
                return 0.0
            if f.slow_times is not None:
                if f.slow_times <= 0:
                    return 0.0
                f.slow_times -= 1
            return f.slow_seconds

    def take_drop(self, length: int) -> int | None:
        """Where to cut a body of ``length`` bytes; a body too short to cut uses no drop."""
        with self._lock:
            f = self.faults
            if f.drop_after_bytes is None or f.drop_times <= 0 or length <= f.drop_after_bytes:
                return None
            f.drop_times -= 1
            return f.drop_after_bytes

    def wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    # --- lifecycle ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alt_url(self) -> str:
        """The same server under another host name: a different origin for the client."""
        return f"http://localhost:{self.port}"

    def start(self) -> MastTestServer:
        handler = type("BoundHandler", (_Handler,), {"mast": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> MastTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mast: MastTestServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _record(self, body: str = "", request: dict[str, Any] | None = None) -> None:
        split = urlsplit(self.path)
        entry = RecordedRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            request=request,
        )
        with self.mast._lock:
            self.mast.requests.append(entry)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def _fault(self, kind: str) -> bool:
        """Apply slowness and injected failures; True when the request was answered."""
        delay = self.mast.take_slowness(kind)
        if delay:
            self.mast.wait(delay)
        status = self.mast.take_failure(kind)
        if status is None:
            return False
        headers = {"Content-Type": "text/plain"}
        if self.mast.faults.retry_after is not None:
            headers["Retry-After"] = self.mast.faults.retry_after
        self._send(status, f"injected {status}".encode(), headers)
        return True

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        split = urlsplit(self.path)
        if split.path != INVOKE:
            self._record(body)
            self._send(404, b"not found")
            return
        form = parse_qs(body)
        try:
            request = json.loads(form["request"][0])
        except (KeyError, IndexError, json.JSONDecodeError):
            self._record(body)
            self._send(400, b"missing request")
            return
        self._record(body, request)
        if self._fault("invoke"):
            return
        self._send_json(200, self.mast.invoke(request))

    def do_GET(self) -> None:
        self._record()
        split = urlsplit(self.path)
        if split.path != DOWNLOAD:
            self._send(404, b"not found")
            return
        target = self.mast.faults.redirect_downloads_to
        if target and urlsplit(target).netloc != self.headers.get("Host"):
            self._send(302, b"", {"Location": target.rstrip("/") + self.path})
            return
        if self._fault("download"):
            return
        uri = (parse_qs(split.query).get("uri") or [""])[0]
        content = self.mast.file_bytes(uri)
        if content is None:
            self._send(404, b"no such file")
            return
        if uri in self.mast.exclusive_uris:
            auth = self.headers.get("Authorization") or ""
            token = auth[len("token ") :] if auth.startswith("token ") else None
            if token not in self.mast.accepted_tokens:
                self._send(401, b"exclusive access: authorization required")
                return
        self._serve_bytes(content, uri)

    def _serve_bytes(self, content: bytes, uri: str) -> None:
        total = len(content)
        start, end, status = 0, total - 1, 200
        spec = self.headers.get("Range")
        if spec and not self.mast.faults.ignore_range:
            try:
                first, _, last = spec.removeprefix("bytes=").partition("-")
                start = int(first)
                end = min(int(last), total - 1) if last else total - 1
            except ValueError:
                self._send(400, b"bad range")
                return
            if start >= total:
                self._send(416, b"", {"Content-Range": f"bytes */{total}"})
                return
            status = 206
        body = content[start : end + 1]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Disposition", f"attachment; filename={uri.rsplit('/', 1)[-1]}")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{total}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        limit = len(body)
        truncate_at = self.mast.faults.truncate_at
        if truncate_at is not None:
            limit = min(limit, max(truncate_at - start, 0))
        drop = self.mast.take_drop(limit)
        if drop is not None:
            limit = min(limit, drop)
        try:
            for piece in self._paced(body[:limit]):
                self.wfile.write(piece)
            self.wfile.flush()
        finally:
            if limit < len(body):
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(2)

    def _paced(self, body: bytes) -> Iterator[bytes]:
        rate = self.mast.faults.bandwidth
        if not rate:
            yield body
            return
        step = max(int(rate / 20), 1)
        started = time.monotonic()
        for offset in range(0, len(body), step):
            yield body[offset : offset + step]
            ahead = (offset + step) / rate - (time.monotonic() - started)
            if ahead > 0:
                self.mast.wait(ahead)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
