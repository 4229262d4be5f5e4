"""The Python client's imaging calls (mixed into :class:`jwstdata.client.Client`).

Headers come back as ``astropy.io.fits.Header`` and cutouts as an in-memory
``astropy.io.fits.HDUList``, ready for a notebook; composites and mosaics are jobs, returned
as queued (``wait_for_job`` polls one to its end). Region statistics and catalogue positions
are the viewer's (0-based pixel coordinates, pixel centres on integers).
"""

from __future__ import annotations

import io
import time
from collections.abc import Sequence
from typing import Any

import httpx

from jwstdata.errors import JwstDataError

FINISHED = frozenset({"completed", "failed", "cancelled"})


class ImagingMixin:
    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        raise NotImplementedError  # provided by Client

    def header(self, record_id: str, hdu: str | int | None = None):
        """Every card of one HDU (index, EXTNAME or ``"NAME,VER"``; default the primary)."""
        from astropy.io import fits

        params = {} if hdu is None else {"hdu": str(hdu)}
        body = self._request("GET", f"/api/data/{record_id}/header", params=params).json()
        header = fits.Header()
        for card in body["cards"]:
            keyword = card["keyword"]
            if keyword == "COMMENT":
                header.add_comment(card["value"])
            elif keyword == "HISTORY":
                header.add_history(card["value"])
            elif keyword == "":
                header.add_blank(card["value"] or "")
            else:
                header.append((keyword, card["value"], card["comment"]), end=True)
        return header

    def cutout(
        self,
        record_id: str,
        ra: float,
        dec: float,
        size: float,
        *,
        unit: str = "arcsec",
        height: float | None = None,
    ):
        """The cutout around (ra, dec) as an in-memory HDUList (not stored on the server)."""
        from astropy.io import fits

        params: dict[str, Any] = {"ra": ra, "dec": dec, "size": size, "unit": unit}
        if height is not None:
            params["height"] = height
        content = self._request("GET", f"/api/data/{record_id}/cutout", params=params).content
        return fits.open(io.BytesIO(content))

    def region_stats(
        self,
        record_id: str,
        *,
        circle: tuple[float, float, float] | None = None,
        box: tuple[float, float, float, float] | None = None,
    ) -> dict[str, Any]:
        """Statistics of the file's pixels in ``circle=(x, y, radius)`` or
        ``box=(x0, y0, x1, y1)``: pixels, finite, sum, mean, median, std, min, max, unit."""
        if (circle is None) == (box is None):
            raise ValueError("give one of circle=(x, y, radius) or box=(x0, y0, x1, y1)")
        if circle is not None:
            x, y, radius = circle
            region: dict[str, Any] = {"shape": "circle", "x": x, "y": y, "radius": radius}
        else:
            assert box is not None
            x0, y0, x1, y1 = box
            region = {"shape": "box", "x0": x0, "y0": y0, "x1": x1, "y1": y1}
        return self._request("POST", f"/api/data/{record_id}/region-stats", json=region).json()

    def place_catalogue(self, record_id: str, table: Any):
        """Where a catalogue's RA/Dec positions fall on the image: an astropy Table with
        ``x, y, ra, dec, label, inside``. ``table``: an astropy Table or ECSV text."""
        from astropy.table import Table

        if isinstance(table, Table):
            out = io.StringIO()
            table.write(out, format="ascii.ecsv")
            table = out.getvalue()
        url = f"/api/data/{record_id}/overlay/catalog"
        body = self._request("POST", url, json={"ecsv": table}).json()
        names = ("x", "y", "ra", "dec", "label", "inside")
        return Table(rows=[[p[n] for n in names] for p in body["points"]], names=names)

    def composite(self, record_ids: Sequence[str], **parameters: Any) -> dict[str, Any]:
        """Queue a colour composite (parameters as in ``POST /api/composites``)."""
        body = {"recordIds": list(record_ids), "parameters": parameters}
        return self._request("POST", "/api/composites", json=body).json()

    def mosaic(self, record_ids: Sequence[str], **parameters: Any) -> dict[str, Any]:
        """Queue a mosaic of records of one filter (parameters as in ``POST /api/mosaics``)."""
        body = {"recordIds": list(record_ids), "parameters": parameters}
        return self._request("POST", "/api/mosaics", json=body).json()

    def wait_for_job(
        self, job_id: str, *, timeout: float = 600, interval: float = 1.0
    ) -> dict[str, Any]:
        """Poll a job until it completes, fails or is cancelled; the job as last seen."""
        deadline = time.monotonic() + timeout
        while True:
            job = self._request("GET", f"/api/jobs/{job_id}").json()
            if job["state"] in FINISHED:
                return job
            if time.monotonic() > deadline:
                raise JwstDataError(f"job {job_id} did not finish within {timeout:g} s")
            time.sleep(interval)
