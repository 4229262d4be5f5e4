"""Cutouts made on request: the record's file read where it is, cut, returned as FITS bytes.

The stored kind (a derived record) is the ``cutout`` algorithm run as a processing job; this
is the same computation for a download, bounded by the cutout side limit and the processing
pixel limit, so a request never holds more than one image plane and the cutout.
"""

from __future__ import annotations

from typing import Any

from jwstdata.keys import safe_file_name
from jwstdata.models import JwstDataModel
from jwstdata.processing.cutout import CutoutParams, cut
from jwstdata.processing.registry import load_algorithms
from jwstdata.services.stored_fits import local_file


def cutout_download(svc: Any, record: JwstDataModel, params: CutoutParams) -> tuple[str, bytes]:
    """(file name, FITS bytes) of the cutout of ``record`` described by ``params``."""
    algorithm = load_algorithms().get("cutout")
    algorithm.check_accepts(record)
    staging = svc.settings.home_dir / "staging"
    with local_file(svc.storage, record, staging) as path:
        content, _ = cut(
            path,
            params,
            name=record.file_name,
            max_pixels=svc.settings.processing_max_pixels,
        )
    stem = record.file_name.split(".", 1)[0]
    return safe_file_name(f"{stem}_cutout_{params.ra:.5f}{params.dec:+.5f}.fits"), content
