"""Small builders for realistic records used across tests."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from jwstdata.models import JwstDataModel

_counter = itertools.count()


def make_record(**overrides: Any) -> JwstDataModel:
    n = next(_counter)
    data: dict[str, Any] = {
        "fileName": f"jw02733001001_02101_{n:05d}_nrca1_cal.fits",
        "filePath": f"ingest/02733/jw02733001001_02101_{n:05d}_nrca1_cal.fits",
        "fileSize": 1000 + n,
        "fileFormat": "fits",
        "dataType": "image",
        "processingLevel": "L2b",
        "observationBaseId": "jw02733-o001_t001_nircam",
        "exposureId": f"jw02733001001_02101_{n:05d}",
        "isViewable": True,
        "imageInfo": {
            "targetName": "NGC-3132",
            "instrument": "NIRCAM",
            "filter": "F090W",
            "exposureTime": 300.0,
            "observationDate": datetime(2022, 6, 3, tzinfo=UTC) + timedelta(minutes=n),
            "proposalId": "2733",
            "calibrationLevel": 2,
            "wavelengthRange": "INFRARED",
        },
    }
    data.update(overrides)
    return JwstDataModel.model_validate(data)


def owner() -> ObjectId:
    return ObjectId()


def random_access(rng: random.Random, owners: list[ObjectId]) -> dict[str, Any]:
    """A random owner (or none: a MAST import), visibility, sharing and workflow state:
    the fields every access scope and counter cell depends on."""
    who = rng.choice([*owners, None])
    return {
        "userId": who,
        "isPublic": who is None or rng.random() < 0.4,
        "sharedWith": rng.sample([o for o in owners if o != who], rng.randint(0, 2)),
        "dataType": rng.choice(["image", "spectral", "raw"]),
        "processingLevel": rng.choice(["L1", "L2b", "L3"]),
        "processingStatus": rng.choice(["pending", "completed"]),
    }
