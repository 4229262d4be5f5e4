"""A Python client for the jwstdata REST API, friendly to notebooks.

>>> from jwstdata.client import Client
>>> jw = Client("http://127.0.0.1:8000", api_key="jwst_...")          # doctest: +SKIP
>>> table = jw.search(instrument="NIRCAM", filter="F444W", max_records=500)  # astropy Table
>>> record = jw.get(table["id"][0])                                    # doctest: +SKIP
>>> jw.download(record["id"], "data/")                                  # doctest: +SKIP

Searches page through the API's keyset cursor; downloads resume with HTTP ``Range`` and
are verified against the record's sha256; uploads stream from disk with a progress callback.
"""

from __future__ import annotations

import difflib
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from jwstdata.client_imaging import ImagingMixin
from jwstdata.digests import sha256_of
from jwstdata.errors import ValidationError, error_from_envelope
from jwstdata.models.search_params import PAGING, url_names

Progress = Callable[[int, int], None]
_CHUNK = 1024 * 1024
TABLE_COLUMNS = (
    ("id", "id"),
    ("fileName", "fileName"),
    ("processingLevel", "processingLevel"),
    ("dataType", "dataType"),
    ("instrument", "imageInfo.instrument"),
    ("filter", "imageInfo.filter"),
    ("targetName", "imageInfo.targetName"),
    ("observationDate", "imageInfo.observationDate"),
    ("observationBaseId", "observationBaseId"),
    ("fileSize", "fileSize"),
    ("isPublic", "isPublic"),
    ("uploadDate", "uploadDate"),
)


def _raise_for(response: httpx.Response) -> None:
    """Raise the server's error as the class its ``code`` names (e.g. ``duplicate`` and
    ``stale_version`` stay distinct, both a ``ConflictError``)."""
    if response.is_success or response.status_code == 304:
        return
    try:
        error = response.json()["error"]
        if not isinstance(error, dict):
            error = None
    except (ValueError, KeyError, TypeError):
        error = None
    raise error_from_envelope(
        response.status_code, error, retry_after=response.headers.get("retry-after")
    )


# Paging is the client's job (``page_size``, ``max_records``), not a filter.
_PAGING_PARAMETERS = PAGING


def search_filters() -> frozenset[str]:
    """The filter names ``GET /api/data`` accepts, read from the search model's fields."""
    return url_names() - _PAGING_PARAMETERS


def check_filters(filters: dict[str, Any]) -> None:
    """Unknown filter names are a mistake, not "no filter": say which names exist."""
    valid = search_filters()
    unknown = sorted(set(filters) - valid)
    if not unknown:
        return
    problems = []
    for name in unknown:
        if name in _PAGING_PARAMETERS:
            hint = "paging is done by the client: use max_records or page_size"
        else:
            close = difflib.get_close_matches(name, sorted(valid), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "not a search filter"
        problems.append({"field": name, "message": hint})
    raise ValidationError(
        f"unknown search filter {', '.join(map(repr, unknown))} "
        f"({'; '.join(p['message'] for p in problems)}); valid filters: {', '.join(sorted(valid))}",
        details=problems,
    )


def _download_target(dest: str | Path, file_name: str) -> Path:
    """``dest`` itself, or ``dest/file_name`` when ``dest`` is a directory (an existing one,
    or a path written with a trailing separator, created here)."""
    text = os.fspath(dest)
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        return path / file_name
    return path


class DuplicateUploadWarning(UserWarning):
    """The same content was already uploaded by this user: the existing record is returned."""


def _path(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _sky_params(params: dict[str, Any]) -> dict[str, Any]:
    """``ra``/``dec``/``radius`` as the API takes them (degrees), from numbers, text
    (``"10h07m01.75s"``, ``"-40d26m12.5s"``, ``"30arcsec"``) or astropy quantities."""
    from jwstdata.sky.coords import CoordinateError, parse_dec, parse_ra, parse_radius

    for name, parse in (("ra", parse_ra), ("dec", parse_dec), ("radius", parse_radius)):
        if name in params:
            try:
                params[name] = parse(params[name])
            except CoordinateError as exc:
                problem = [{"field": name, "message": str(exc)}]
                raise ValidationError(str(exc), details=problem) from None
    return params


def _add_sky_columns(table: Any, rows: list[dict[str, Any]]) -> None:
    """``ra``, ``dec`` and ``skyRadius`` of each record's footprint, in degrees (masked
    where a record has no sky position); the footprints are in ``table.meta["records"]``."""
    from astropy import units as u
    from astropy.table import MaskedColumn

    for name, key in (("ra", "ra"), ("dec", "dec"), ("skyRadius", "radius")):
        values = [(r.get("sky") or {}).get(key) for r in rows]
        table[name] = MaskedColumn(
            [0.0 if v is None else float(v) for v in values],
            mask=[v is None for v in values],
            unit=u.deg,
            dtype=float,
        )


class _ProgressReader:
    """A file wrapper that reports bytes read (httpx streams it as the upload body)."""

    def __init__(self, handle: BinaryIO, total: int, progress: Progress | None) -> None:
        self.handle, self.total, self.progress, self.sent = handle, total, progress, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(_CHUNK if size is None or size < 0 else size)
        self.sent += len(chunk)
        if self.progress:
            self.progress(self.sent, self.total)
        return chunk


class Client(ImagingMixin):
    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        *,
        token: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        headers = {"User-Agent": "jwstdata-client"}
        if api_key:
            headers["X-API-Key"] = api_key
        elif token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)

    @classmethod
    def login(cls, url: str, username: str, password: str, **kwargs: Any) -> Client:
        response = httpx.post(
            f"{url.rstrip('/')}/api/auth/token",
            data={"username": username, "password": password},
            timeout=30,
        )
        _raise_for(response)
        return cls(url, token=response.json()["access_token"], **kwargs)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, url, **kwargs)
        _raise_for(response)
        return response

    # --- reading ------------------------------------------------------------------------
    def iter_records(self, *, page_size: int = 200, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every matching record, page by page (filters as in ``GET /api/data``).

        An unknown filter name raises :class:`~jwstdata.errors.ValidationError` listing the
        valid ones (it would otherwise be ignored and match everything).
        """
        check_filters(filters)
        params = _sky_params({k: v for k, v in filters.items() if v is not None})
        params["limit"] = page_size
        while True:
            page = self._request("GET", "/api/data", params=params).json()
            yield from page["items"]
            if not page.get("nextCursor"):
                return
            params["cursor"] = page["nextCursor"]

    def search(self, *, max_records: int = 10_000, **filters: Any):
        """Matching records as an ``astropy.table.Table`` (at most ``max_records`` rows)."""
        from astropy.table import Table

        rows = []
        for record in self.iter_records(page_size=min(max_records, 500), **filters):
            rows.append(record)
            if len(rows) >= max_records:
                break
        table = Table(
            rows=[[_path(r, path) for _, path in TABLE_COLUMNS] for r in rows] or None,
            names=[name for name, _ in TABLE_COLUMNS],
            dtype=None if rows else [object] * len(TABLE_COLUMNS),
        )
        _add_sky_columns(table, rows)
        table.meta["records"] = rows
        return table

    def facets(self, *names: str, **filters: Any) -> dict[str, list[dict[str, Any]]]:
        """Counts per value of each facet (``program``, ``target``, ``detector``,
        ``exposureType``, ``tags``, ``instrument``...; all without names) over the records
        matching ``filters`` (as in :meth:`search`, e.g. ``q="NGC 3132"``)."""
        check_filters(filters)
        params: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
        if names:
            params["facet"] = list(names)
        return self._request("GET", "/api/data/facets", params=params).json()

    def get(self, record_id: str) -> dict[str, Any]:
        return self._request("GET", f"/api/data/{record_id}").json()

    def update(
        self, record_id: str, changes: dict[str, Any], *, version: int | None = None
    ) -> dict[str, Any]:
        """Edit a record's editable fields; with ``version``, only if nobody changed it since
        (else :class:`~jwstdata.errors.StaleVersionError`)."""
        headers = {"If-Match": f'"{version}"'} if version is not None else {}
        return self._request(
            "PATCH", f"/api/data/{record_id}", json=changes, headers=headers
        ).json()

    def lineage(self, record_id: str) -> dict[str, Any]:
        return self._request("GET", f"/api/data/{record_id}/lineage").json()

    def observation(self, observation_base_id: str) -> dict[str, Any]:
        return self._request("GET", f"/api/lineage/{observation_base_id}").json()

    # --- files --------------------------------------------------------------------------
    def upload(
        self,
        path: str | Path,
        *,
        tags: list[str] | None = None,
        description: str | None = None,
        public: bool = False,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Upload one file; its new record (as JSON).

        The same content uploaded before by the same user is not stored again: the existing
        record is returned and a :class:`DuplicateUploadWarning` says so.
        """
        path = Path(path)
        total = path.stat().st_size
        form = {"tags": ",".join(tags or []), "isPublic": str(public).lower()}
        if description:
            form["description"] = description
        with open(path, "rb") as handle:
            reader = _ProgressReader(handle, total, progress)
            response = self._http.post(
                "/api/data/upload", files={"file": (path.name, reader)}, data=form, timeout=None
            )
        _raise_for(response)
        record = response.json()
        if response.status_code == 200:  # not 201: this user already had this content
            warnings.warn(
                f"{path.name} has the same content as record {record['id']} "
                f"({record['fileName']}), uploaded before: returning that record",
                DuplicateUploadWarning,
                stacklevel=2,
            )
        return record

    def download(
        self,
        record_id: str,
        dest: str | Path,
        *,
        resume: bool = True,
        progress: Progress | None = None,
    ) -> Path:
        """Save the record's file; a partial file from an earlier attempt is resumed.

        ``dest`` is the file to write, or a directory (an existing one, or any path ending
        in ``/``) to write the record's file name into.
        """
        record = self.get(record_id)
        target = _download_target(dest, record["fileName"])
        partial = target.with_name(target.name + ".part")
        offset = partial.stat().st_size if resume and partial.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        with self._http.stream(
            "GET", f"/api/data/{record_id}/file", headers=headers, timeout=None
        ) as response:
            if response.status_code == 416:  # the partial file is already complete
                pass
            else:
                if not response.is_success:
                    response.read()
                    _raise_for(response)
                if response.status_code == 200:
                    offset = 0
                total = record.get("fileSize") or 0
                with open(partial, "ab" if offset else "wb") as out:
                    done = offset
                    for chunk in response.iter_bytes(_CHUNK):
                        out.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, total)
        if record.get("checksum") and sha256_of(partial)[1] != record["checksum"]:
            partial.unlink()
            raise ValidationError(f"download of {record['fileName']} does not match its checksum")
        partial.replace(target)
        return target
