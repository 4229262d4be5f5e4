"""Writing MAST's current observation columns onto the records imported from it.

:mod:`jwstdata.services.mast.refresh` asks MAST and builds the new ``metadata.mast_*`` and
``imageInfo`` values; here they are set on every record stored under the observation's
storage prefix, with what derives from them (search keys, the sky footprint) and the
counters kept in step.
"""

from __future__ import annotations

from typing import Any

from pymongo import UpdateOne

from jwstdata.db.connection import translate_errors
from jwstdata.db.counters import apply_set
from jwstdata.db.hints import index_hint
from jwstdata.db.query import search_keys
from jwstdata.db.records import RecordRepository
from jwstdata.db.sky import sky_fields
from jwstdata.models import utcnow


def _refreshed_sky(
    doc: dict[str, Any], columns: dict[str, Any], info: dict[str, Any]
) -> dict[str, Any]:
    """``sky`` and its cells from the record as it will be once refreshed (MAST's
    ``s_region`` may have changed; the header's S_REGION, when the file has one, wins)."""
    after = {
        **doc,
        "metadata": {
            **(doc.get("metadata") or {}),
            **{k.removeprefix("metadata."): v for k, v in columns.items()},
        },
        "imageInfo": {
            **(doc.get("imageInfo") or {}),
            **{k.removeprefix("imageInfo."): v for k, v in info.items()},
        },
    }
    fields = sky_fields(after)
    if fields["sky"] is None and doc.get("sky"):
        return {}  # nothing derives: keep the footprint the record has
    return fields


def refresh_under_prefix(
    repo: RecordRepository, prefix: str, columns: dict[str, Any], info: dict[str, Any]
) -> int:
    """Set ``columns`` (``metadata.*``) and ``info`` (``imageInfo.*``) on every record whose
    storage key starts with ``prefix``; how many records were updated."""
    with translate_errors():
        docs = list(
            repo.collection.find(
                # A range, not a regex: an index serves it on every server.
                {"filePath": {"$gte": prefix, "$lt": prefix[:-1] + "0"}},
                hint=index_hint(repo.collection, "file_path"),
            )
        )
        keys = [search_keys(apply_set(d, {**columns, **info})) for d in docs]
        operations = [
            UpdateOne(
                {"_id": d["_id"]},
                {
                    "$set": {
                        **columns,
                        **info,
                        # target, title, filter: the search keys follow them
                        "_norm": keys[i],
                        "metadata.mast_refreshedAt": utcnow().isoformat(),
                        **_refreshed_sky(d, columns, info),
                        "updatedAt": utcnow(),
                    },
                    "$inc": {"version": 1},
                },
            )
            for i, d in enumerate(docs)
        ]
        if operations:
            repo.collection.bulk_write(operations, ordered=False)
    repo.counters.apply((d, apply_set(d, {**info, "_norm": keys[i]})) for i, d in enumerate(docs))
    return len(operations)
