"""Storing an algorithm's outputs: files under ``derived/...`` and their records."""

from __future__ import annotations

import io
import logging
from typing import Any

from bson import ObjectId

from jwstdata.db.output_store import OutputStore
from jwstdata.db.records import RecordRepository
from jwstdata.errors import (
    DuplicateError,
)
from jwstdata.keys import derived_key, safe_file_name
from jwstdata.models import (
    ImageMetadata,
    JwstDataModel,
    ProcessingLevel,
    ProcessingStatus,
)
from jwstdata.processing.registry import (
    Algorithm,
    AlgorithmOutput,
    AlgorithmParams,
    OutputFile,
    ProcessingError,
    params_hash,
)
from jwstdata.services.record_writer import RecordWriter
from jwstdata.storage import StorageProvider, WriteResult

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    "png": "image/png",
    "ecsv": "text/plain; charset=utf-8",
    "fits": "application/fits",
}


def group_filter(
    record: JwstDataModel, name: str, digest: str, reader: ObjectId | None = None
) -> dict[str, Any]:
    return {
        "derivedFrom": record.object_id,
        "userId": reader or record.user_id,
        "metadata.source": "processing",
        "metadata.algorithm": name,
        "metadata.paramsHash": digest,
    }


def store_outputs(
    record: JwstDataModel,
    algorithm: Algorithm,
    params: AlgorithmParams,
    output: AlgorithmOutput,
    storage: StorageProvider,
    repo: RecordRepository,
    *,
    reader: ObjectId | None = None,
) -> list[str]:
    """Store the outputs; ``reader``: a reader's own run (private outputs of theirs)."""
    digest = params_hash(algorithm.name, params)
    source_id = str(record.object_id)
    # A reader's outputs get keys of their own: the owner's files are never overwritten.
    stem = f"{reader}-{digest}" if reader else digest
    keys = [derived_key(source_id, algorithm.name, f"{stem}-{o.name}") for o in output.outputs]
    if len(set(keys)) != len(keys):
        raise ProcessingError(
            f"{algorithm.name} produced two outputs with one name", reason="algorithm_error"
        )
    writer = RecordWriter(repo, storage)
    try:
        for key, item in zip(keys, output.outputs, strict=True):
            written = _write(storage, key, item)
            made = _output_record(record, algorithm, digest, item, key, written)
            if reader is not None:
                made = made.model_copy(
                    update={"user_id": reader, "is_public": False, "shared_with": []}
                )
            _upsert(repo, made)
        group = group_filter(record, algorithm.name, digest, reader)
        remove_outputs(repo, writer, group, keep=keys)
    except Exception:
        for key in keys:
            writer.discard_file(key)
        group = group_filter(record, algorithm.name, digest, reader)
        remove_outputs(repo, writer, group, keep=[])
        raise
    return keys


def _write(storage: StorageProvider, key: str, item: OutputFile) -> WriteResult:
    content_type = CONTENT_TYPES.get(item.format)
    if item.content is not None:
        return storage.write_stream(key, io.BytesIO(item.content), content_type=content_type)
    if item.path is not None:
        return storage.write_path(key, item.path, content_type=content_type)
    raise ProcessingError(
        f"output {item.name} has neither content nor path", reason="algorithm_error"
    )


def _output_record(
    source: JwstDataModel,
    algorithm: Algorithm,
    digest: str,
    item: OutputFile,
    key: str,
    written: WriteResult,
) -> JwstDataModel:
    return JwstDataModel(
        file_name=safe_file_name(item.name),
        file_path=key,
        file_size=written.size,
        checksum=written.sha256,
        file_format=item.format,
        data_type=item.data_type,
        processing_status=ProcessingStatus.completed,
        processing_level=ProcessingLevel.unknown,
        parent_id=source.object_id,
        derived_from=[source.object_id],
        is_derived=True,
        user_id=source.user_id,
        is_public=source.is_public,
        shared_with=list(source.shared_with),
        is_archived=source.is_archived,
        archived_date=source.archived_date if source.is_archived else None,
        is_viewable=item.is_viewable,
        description=item.description[:4096],
        metadata={
            "source": "processing",
            "algorithm": algorithm.name,
            "algorithmVersion": algorithm.version,
            "paramsHash": digest,
            "role": item.role,
        },
        image_info=_image_info(source, item),
        # An output (preview, catalogue, spectrum) shows the same sky as its source file;
        # one with a WCS of its own (a cutout) gets its own footprint when stored.
        sky=source.sky,
    )


def _image_info(source: JwstDataModel, item: OutputFile) -> ImageMetadata | None:
    """Width and height of an image output; a FITS image with a WCS (a cutout, a mosaic)
    also keeps what it shares with its source (target, instrument, filter, units)."""
    if item.width is None or item.height is None:
        return None
    size = {"width": item.width, "height": item.height}
    if item.wcs is None:
        return ImageMetadata(**size)
    system = str(item.wcs.get("RADESYS", "ICRS"))
    wcs = {"wcs": item.wcs, "coordinate_system": system}
    if source.image_info is not None:
        return source.image_info.model_copy(update={**size, **wcs})
    return ImageMetadata(**size, **wcs)


def _upsert(repo: RecordRepository, record: JwstDataModel) -> ObjectId:
    """Insert, or replace the record already at (owner, key), keeping its id and tags."""
    for _ in range(2):  # a concurrent run may insert between our look-up and insert
        existing = repo.find_by_path(record.user_id, record.file_path or "")
        if existing is None:
            try:
                return repo.create(record).object_id
            except DuplicateError:
                continue
        return OutputStore(repo).replace(existing, record)
    raise DuplicateError(f"could not write the record of {record.file_path}")


def remove_outputs(
    repo: RecordRepository, writer: RecordWriter, group: dict[str, Any], *, keep: list[str]
) -> None:
    """Delete the records (and files) of ``group`` whose key is not in ``keep``."""
    outputs = OutputStore(repo)
    for doc in outputs.matching(group):
        if doc.get("filePath") in keep:
            continue
        outputs.delete(doc)
        writer.discard_file(doc.get("filePath"))


# --- the source record -------------------------------------------------------------------
