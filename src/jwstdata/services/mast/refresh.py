"""``refresh-metadata``: re-query MAST and update the ``mast_*`` fields, without downloading."""

from __future__ import annotations

from typing import Any

from jwstdata.db.mast_refresh import refresh_under_prefix
from jwstdata.db.records import RecordRepository
from jwstdata.errors import ValidationError
from jwstdata.keys import safe_file_name
from jwstdata.mast import Mast, ObservationQuery
from jwstdata.services.mast.records import image_info

_MAST_PREFIX = "mast_"


def refresh_metadata(mast: Mast, repo: RecordRepository, obs_ids: list[str]) -> dict[str, Any]:
    """Update every imported record of ``obs_ids`` from MAST's current observation rows."""
    rows = mast.search.observations(ObservationQuery(obs_ids=tuple(obs_ids)))
    if not rows:
        raise ValidationError(f"unknown MAST observation(s): {', '.join(obs_ids)}")
    updated = 0
    for row in rows:
        prefix = f"mast/{safe_file_name(row.obs_id)}/"
        columns = {
            f"metadata.{_MAST_PREFIX}{k}": v
            for k, v in row.to_row().items()
            if v is not None and "." not in k and not k.startswith("$")
        }
        info = {f"imageInfo.{k}": v for k, v in image_info(row).items()}
        updated += refresh_under_prefix(repo, prefix, columns, info)
    return {"observations": len(rows), "recordsUpdated": updated}
