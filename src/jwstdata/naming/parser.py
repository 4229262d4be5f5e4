"""``parse_name``: one pass over a file name with precompiled patterns; never raises.

Each shape of name (exposure, source, association, pool, guidestar, MSA, CRDS, unknown) has
its parser; they fill a :data:`~jwstdata.naming.parsed.ParsedNameDraft`.
"""

from __future__ import annotations

import os
from typing import Any

from jwstdata.models.enums import DataType, ProcessingLevel
from jwstdata.naming.parsed import ParsedName, ParsedNameDraft
from jwstdata.naming.patterns import (
    ACID_TOKEN,
    ACTIVITY_SUFFIX,
    ASSOCIATION,
    COMPRESSIONS,
    CRDS,
    EXPOSURE,
    GUIDESTAR,
    GUIDESTAR_TYPES,
    INSTRUMENT_BY_NAME,
    INSTRUMENT_BY_PREFIX,
    METADATA_EXTENSIONS,
    MSA,
    PLAIN_SUBARRAYS,
    POOL,
    PREVIEW_EXTENSIONS,
    SOURCE,
)
from jwstdata.naming.rules import SUFFIX_RULES, NameKind, match_suffix

_UNKNOWN = ProcessingLevel.unknown
_LIST_KINDS = {"asn": NameKind.association, "pool": NameKind.pool}


def parse_name(name: str | os.PathLike[str]) -> ParsedName:
    """Parse a JWST file name (or a path, URL or MAST URI ending in one). Never raises."""
    if not isinstance(name, str):
        name = _as_text(name)
    if "\\" in name:
        name = name.replace("\\", "/")
    file_name = name.rpartition("/")[2]
    stem, dot, extension = file_name.strip().lower().rpartition(".")
    if not dot:
        stem, extension = extension, ""
    compressed = extension in COMPRESSIONS
    if compressed and "." in stem:  # fits.gz: the extension is both parts
        stem, _, inner = stem.rpartition(".")
        extension = f"{inner}.{extension}"
    ext = extension or None
    if extension in PREVIEW_EXTENSIONS:
        thumbnail = stem.endswith("_thumb")
        draft = _parse_stem(file_name, stem[:-6] if thumbnail else stem, ext, compressed)
        draft.kind = NameKind.preview
        draft.processing_level = _UNKNOWN
        draft.data_type = DataType.image
        draft.is_viewable = True
        draft.thumbnail = thumbnail
    else:
        draft = _parse_stem(file_name, stem, ext, compressed)
    draft.__class__ = ParsedName
    return draft  # type: ignore[no-any-return]


def _as_text(name: object) -> str:
    try:
        name = os.fspath(name)  # type: ignore[arg-type]
    except TypeError:
        return str(name)
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else name


def _parse_stem(file_name: str, stem: str, ext: str | None, compressed: bool) -> Any:
    if stem.startswith("jwst_"):
        return _crds(file_name, stem, ext, compressed)
    if stem.startswith("jw"):
        last = stem.rpartition("_")[2]
        if last == "asn":
            return _association(file_name, stem, ext, compressed)
        if last == "pool":
            return _pool(file_name, stem, ext, compressed)
        if stem[7:8] == "-":
            return _source(file_name, stem, ext, compressed)
        if stem[13:17] == "_gs-":
            return _guidestar(file_name, stem, ext, compressed)
        if last == "msa":
            return _msa(file_name, stem, ext, compressed)
        if stem[13:14] == "_":
            return _exposure(file_name, stem, ext, compressed)
    return _unknown(file_name, stem, ext, compressed)


def _exposure(file_name: str, stem: str, ext: str | None, compressed: bool) -> Any:
    m = EXPOSURE.fullmatch(stem)
    if m is None:
        return _unknown(file_name, stem, ext, compressed)
    (
        program,
        observation,
        visit,
        group,
        parallel,
        activity,
        number,
        segment,
        detector,
        acid,
        rest,
    ) = m.groups()
    tokens = rest.split("_") if rest else []
    if acid is None:  # an association id may stand after other tokens: ..._nrca1_x_o001_crf
        acid = next((t for t in tokens[:-1] if ACID_TOKEN.fullmatch(t)), None)
    whole = match_suffix([detector, *tokens] if acid is None else tokens)
    if whole is not None and whole.count("_") >= len(tokens):
        suffix, detector = whole, None  # no detector: jw..._00001_cal, jw..._00001_assign_wcs
    else:
        suffix = whole or (tokens[-1] if tokens else None) or None
    rule = SUFFIX_RULES.get(suffix) if suffix else None
    return ParsedNameDraft(
        file_name,
        NameKind.exposure,
        suffix,
        ext,
        rule.exposure_level if rule else _UNKNOWN,  # processing_level
        rule.data_type if rule else None,  # data_type
        rule.viewable if rule else False,  # is_viewable
        program,
        observation,
        visit,
        stem[:25],  # exposure_id
        detector,
        _instrument_for(detector),
        None,  # optical_elements
        acid,  # association_id
        f"jw{program}-o{observation}",  # observation_base_id
        segment,
        group,  # visit_group
        parallel,  # parallel_sequence
        activity,
        number,  # exposure_number
        None,  # target
        None,  # source_id
        None,  # epoch
        None,  # subarray
        compressed,
    )


def _source(file_name: str, stem: str, ext: str | None, compressed: bool) -> Any:
    m = SOURCE.fullmatch(stem)
    if m is None:
        return _unknown(file_name, stem, ext, compressed)
    program, acid, target, epoch, instrument, rest = m.groups()
    tokens = rest.split("_")
    suffix: str | None = None
    activity = None
    if len(tokens) > 1:  # a single token is the optical elements of a product root (MAST obs_id)
        suffix = match_suffix(tokens, keep=1)
        if suffix is None:
            suffix = tokens[-1]
            am = ACTIVITY_SUFFIX.fullmatch(suffix)
            if am is not None and am["suffix"] in SUFFIX_RULES:  # wfscmb-05: WFS&C activity 05
                suffix, activity = am["suffix"], am["activity"]
        del tokens[len(tokens) - suffix.count("_") - 1 :]
    elements = [e for token in tokens for e in token.split("-") if e]
    subarray = None
    if len(elements) > 1 and (elements[-1].startswith("sub") or elements[-1] in PLAIN_SUBARRAYS):
        subarray = elements.pop()
    source_id = target.rpartition("-")[2] if target[0] == "t" else target
    rule = SUFFIX_RULES.get(suffix) if suffix else None
    return ParsedNameDraft(
        file_name,
        NameKind.source,
        suffix,
        ext,
        rule.source_level if rule else _UNKNOWN,  # processing_level
        rule.data_type if rule else None,  # data_type
        rule.viewable if rule else False,  # is_viewable
        program,
        acid[1:] if acid[0] == "o" else None,  # observation
        None,  # visit
        None,  # exposure_id
        None,  # detector
        instrument,
        "-".join(elements) or None,  # optical_elements
        acid,  # association_id
        f"jw{program}-{acid}_{target}_{instrument}",  # observation_base_id
        None,  # segment
        None,  # visit_group
        None,  # parallel_sequence
        activity,
        None,  # exposure_number
        target,
        source_id if source_id[0] != "t" else None,  # source_id
        epoch,
        subarray,
        compressed,
    )


def _association(file_name: str, stem: str, ext: str | None, compressed: bool) -> Any:
    m = ASSOCIATION.fullmatch(stem)
    if m is None:
        return _unknown(file_name, stem, ext, compressed)
    program, acid = m["program"], m["acid"]
    return ParsedNameDraft(
        file_name=file_name,
        kind=NameKind.association,
        suffix="asn",
        extension=ext,
        data_type=DataType.metadata,
        program=program,
        observation=acid[1:] if acid[0] == "o" else None,
        association_id=acid,
        observation_base_id=f"jw{program}-{acid}",
        asn_type=m["asn_type"],
        timestamp=m["stamp"],
        compressed=compressed,
    )


def _pool(file_name: str, stem: str, ext: str | None, compressed: bool) -> Any:
    m = POOL.fullmatch(stem)
    if m is None:
        return _unknown(file_name, stem, ext, compressed)
    return ParsedNameDraft(
        file_name=file_name,
        kind=NameKind.pool,
        suffix="pool",
        extension=ext,
        data_type=DataType.metadata,
        program=m["program"],
        timestamp=m["stamp"],
        compressed=compressed,
    )


def _guidestar(file_name: str, stem: str, ext: str | None, compressed: bool) -> Any:
    m = GUIDESTAR.fullmatch(stem)
    if m is None:
        return _unknown(file_name, stem, ext, compressed)
    program, observation, suffix = m["program"], m["observation"], m["suffix"]
    return ParsedNameDraft(
        file_name=file_name,
        kind=NameKind.guidestar,
        suffix=suffix,
        extension=ext,
        data_type=GUIDESTAR_TYPES.get(suffix) if suffix else None,
        program=program,
        observation=observation,
        visit=m["visit"],
        instrument="fgs",
        observation_base_id=f"jw{program}-o{observation}",
        segment=m["segment"],
        timestamp=m["stamp"],
        guider_mode=m["id"] or m["mode"],
        compressed=compressed,
    )


def _msa(file_name: str, stem: str, ext: str | None, compressed: bool) -> Any:
    m = MSA.fullmatch(stem)
    if m is None:
        return _unknown(file_name, stem, ext, compressed)
    program, observation, visit = m.groups()
    return ParsedNameDraft(
        file_name=file_name,
        kind=NameKind.unknown,
        suffix="msa",
        extension=ext,
        data_type=DataType.metadata,
        program=program,
        observation=observation,
        visit=visit,
        instrument="nirspec",
        observation_base_id=f"jw{program}-o{observation}",
        compressed=compressed,
    )


def _crds(file_name: str, stem: str, ext: str | None, compressed: bool) -> Any:
    m = CRDS.fullmatch(stem)
    if m is None:
        return _unknown(file_name, stem, ext, compressed)
    return ParsedNameDraft(
        file_name=file_name,
        kind=NameKind.unknown,
        suffix=m["reftype"],
        extension=ext,
        data_type=DataType.calibration,
        instrument=m["instrument"],
        compressed=compressed,
    )


def _unknown(file_name: str, stem: str, ext: str | None, compressed: bool) -> Any:
    """No known shape. A trailing ``_asn``/``_pool`` still says what the file is, and a known
    suffix token still gives the data type; the level stays unknown."""
    head, _, last = stem.rpartition("_")
    kind, suffix, data_type, viewable = NameKind.unknown, None, None, False
    if head and last in _LIST_KINDS:
        kind, suffix, data_type = _LIST_KINDS[last], last, DataType.metadata
    elif head and (known := match_suffix(stem.split("_"), keep=1)) is not None:
        rule = SUFFIX_RULES[known]
        suffix, data_type, viewable = known, rule.data_type, rule.viewable
    elif ext in METADATA_EXTENSIONS:
        data_type = DataType.metadata
    return ParsedNameDraft(
        file_name=file_name,
        kind=kind,
        suffix=suffix,
        extension=ext,
        data_type=data_type,
        is_viewable=viewable,
        compressed=compressed,
    )


def _instrument_for(detector: str | None) -> str | None:
    """nrc* → nircam, mir* → miri, nrs* → nirspec, nis → niriss, guider* → fgs."""
    if detector is None:
        return None
    if detector.startswith("guider"):
        return "fgs"
    return INSTRUMENT_BY_NAME.get(detector) or INSTRUMENT_BY_PREFIX.get(detector[:3])
