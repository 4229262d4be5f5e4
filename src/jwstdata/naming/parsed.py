"""``ParsedName``: what a file name says, as the parser returns it (see :mod:`jwstdata.naming`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from jwstdata.models.enums import DataType, ProcessingLevel
from jwstdata.naming.rules import NameKind

_UNKNOWN = ProcessingLevel.unknown


@dataclass(frozen=True, slots=True)
class ParsedName:
    """What a file name says. Field values are lower case as in the name; absent parts are None."""

    file_name: str
    kind: NameKind
    suffix: str | None = None
    extension: str | None = None
    processing_level: ProcessingLevel = _UNKNOWN
    data_type: DataType | None = None
    is_viewable: bool = False
    program: str | None = None
    observation: str | None = None
    visit: str | None = None
    exposure_id: str | None = None
    detector: str | None = None
    instrument: str | None = None
    optical_elements: str | None = None
    association_id: str | None = None
    observation_base_id: str | None = None
    segment: str | None = None
    visit_group: str | None = None
    parallel_sequence: str | None = None
    activity: str | None = None
    exposure_number: str | None = None
    target: str | None = None
    source_id: str | None = None
    epoch: str | None = None
    subarray: str | None = None
    compressed: bool = False
    thumbnail: bool = False
    asn_type: str | None = None
    timestamp: str | None = None
    guider_mode: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The camelCase document form: the 16 core keys first, then the extras."""
        return {
            "fileName": self.file_name,
            "kind": self.kind.value,
            "suffix": self.suffix,
            "extension": self.extension,
            "processingLevel": self.processing_level.value,
            "dataType": None if self.data_type is None else self.data_type.value,
            "isViewable": self.is_viewable,
            "program": self.program,
            "observation": self.observation,
            "visit": self.visit,
            "exposureId": self.exposure_id,
            "detector": self.detector,
            "instrument": self.instrument,
            "opticalElements": self.optical_elements,
            "associationId": self.association_id,
            "observationBaseId": self.observation_base_id,
            "segment": self.segment,
            "visitGroup": self.visit_group,
            "parallelSequence": self.parallel_sequence,
            "activity": self.activity,
            "exposureNumber": self.exposure_number,
            "target": self.target,
            "sourceId": self.source_id,
            "epoch": self.epoch,
            "subarray": self.subarray,
            "compressed": self.compressed,
            "thumbnail": self.thumbnail,
            "asnType": self.asn_type,
            "timestamp": self.timestamp,
            "guiderMode": self.guider_mode,
        }


# A frozen dataclass sets each of its 30 slots through object.__setattr__, which made building the
# result most of the cost of a parse. The parser fills a mutable draft with the same slots instead
# and then re-labels it as ParsedName (same layout, so CPython allows the __class__ assignment):
# the caller gets an ordinary frozen ParsedName. The two common shapes pass the fields
# positionally, in ParsedName's field order, because keyword arguments cost as much again.
ParsedNameDraft: Any = dataclasses.make_dataclass(
    "_ParsedNameDraft",
    [(f.name, f.type, f.default) for f in dataclasses.fields(ParsedName)],
    slots=True,
)
