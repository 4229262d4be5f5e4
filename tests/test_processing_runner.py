"""``run_algorithm`` against a real database and local storage: outputs stored under
``derived/…`` as records of their own, the result appended to the source, re-runs replacing
rather than duplicating, and failures leaving a failed result and nothing half-written."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bson import ObjectId
from PIL import Image

from jwstdata.keys import ingest_key
from jwstdata.models import AccessContext, DataType, JwstDataModel
from jwstdata.processing import (
    Algorithm,
    AlgorithmInput,
    AlgorithmOutput,
    AlgorithmParams,
    OutputFile,
    ProcessingError,
)
from jwstdata.processing.registry import (
    IMAGE_INPUT,
    AlgorithmRegistry,
    load_algorithms,
    params_hash,
)
from jwstdata.services import processing_run as runner
from jwstdata.services.processing_run import (
    MAX_RESULTS,
    run_algorithm,
    validate_params,
    wants_auto_preview,
)
from jwstdata.storage import LocalStorage
from tests import fitsfactory as ff

ADMIN = AccessContext.admin()
MAX_PIXELS = 10_000_000


class DownloadOnlyStorage(LocalStorage):
    """Local storage that, like S3, offers no filesystem path: the runner must download."""

    def local_path(self, key: str) -> Path | None:
        return None


@pytest.fixture
def storage(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")


@pytest.fixture
def owner() -> ObjectId:
    return ObjectId()


def folder(tmp_path: Path, name: str) -> Path:
    """A fresh directory: fitsfactory then names the file like MAST does."""
    path = tmp_path / name
    path.mkdir(exist_ok=True)
    return path


def stored_record(
    repo,
    storage,
    path: Path,
    *,
    owner: ObjectId | None,
    data_type: str = "image",
    **fields: Any,
) -> JwstDataModel:
    key = ingest_key("02733", path.name)
    written = storage.write_path(key, path)
    record = JwstDataModel(
        file_name=path.name,
        file_path=key,
        file_size=written.size,
        checksum=written.sha256,
        file_format="fits.gz" if path.name.endswith(".gz") else "fits",
        data_type=data_type,
        processing_level="L2b",
        exposure_id="jw02733001001_02101_00001",
        user_id=owner,
        is_viewable=True,
        **fields,
    )
    return repo.create(record)


@pytest.fixture
def image_record(repo, storage, owner, tmp_path) -> JwstDataModel:
    data = ff.stars((120, 160), [(40.0, 50.0, 8000.0), (120.0, 80.0, 9000.0)], background=1.0)
    data += np.random.default_rng(0).normal(0, 0.05, data.shape).astype(np.float32)
    path = ff.write_product(folder(tmp_path, "src"), "cal", data=data)
    return stored_record(repo, storage, path, owner=owner, shared_with=[ObjectId()])


def derived_docs(repo, source: JwstDataModel) -> list[dict]:
    return list(repo.collection.find({"derivedFrom": source.id}).sort("fileName", 1))


def derived_keys(storage) -> list[str]:
    return [info.key for info in storage.list("derived")]


def test_preview_outputs_become_derived_records(repo, storage, image_record, owner):
    progress: list[tuple[float, str]] = []
    result = run_algorithm(
        image_record,
        "preview",
        {"maxSize": 64},
        storage,
        repo,
        max_pixels=MAX_PIXELS,
        progress=lambda fraction, message: progress.append((fraction, message)),
    )
    assert result.status.value == "completed", result.error_message
    digest = params_hash("preview", load_algorithms().get("preview").parse_params({"maxSize": 64}))
    stem = image_record.file_name.removesuffix(".fits")
    prefix = f"derived/{image_record.id}/preview/{digest}-"
    assert derived_keys(storage) == [f"{prefix}{stem}_preview.png", f"{prefix}{stem}_thumb.png"]
    assert result.output_file_path == f"{prefix}{stem}_preview.png"
    assert result.algorithm == "preview" and result.algorithm_version == "1.0"
    assert result.parameters["maxSize"] == 64 and result.parameters["stretch"] == "linear"
    assert result.results["width"] == 64 and result.results["height"] == 48
    assert result.duration_seconds is not None and result.duration_seconds > 0

    docs = derived_docs(repo, image_record)
    assert [d["fileName"] for d in docs] == [f"{stem}_preview.png", f"{stem}_thumb.png"]
    for doc in docs:
        record = JwstDataModel.from_document(doc)
        assert record.derived_from == [image_record.id] and record.parent_id == image_record.id
        assert record.user_id == owner and record.is_public is False
        assert record.shared_with == image_record.shared_with
        assert record.data_type is DataType.image and record.is_viewable
        assert record.file_format == "png" and record.processing_level.value == "unknown"
        assert record.exposure_id is None and record.observation_base_id is None
        assert record.metadata["source"] == "processing"
        assert record.metadata["algorithm"] == "preview"
        assert record.metadata["paramsHash"] == digest
        with storage.open_read(record.file_path) as stream:
            content = stream.read()
        assert record.checksum == hashlib.sha256(content).hexdigest()
        assert record.file_size == len(content)
        image = Image.open(io.BytesIO(content))
        assert (record.image_info.width, record.image_info.height) == image.size
    assert {d["metadata"]["role"] for d in docs} == {"preview", "thumbnail"}

    source = repo.get(image_record.id, ADMIN)
    assert len(source.processing_results) == 1
    assert source.processing_results[0] == result
    assert source.version == image_record.version + 1
    fractions = [f for f, _ in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_rerun_replaces_outputs_instead_of_duplicating(repo, storage, image_record):
    first = run_algorithm(image_record, "preview", {}, storage, repo, max_pixels=MAX_PIXELS)
    before = {d["fileName"]: d for d in derived_docs(repo, image_record)}
    second = run_algorithm(image_record, "preview", {}, storage, repo, max_pixels=MAX_PIXELS)
    assert first.status.value == second.status.value == "completed"
    after = {d["fileName"]: d for d in derived_docs(repo, image_record)}
    assert set(after) == set(before)
    for name, doc in after.items():
        assert doc["_id"] == before[name]["_id"]
        assert doc["createdAt"] == before[name]["createdAt"]
        assert doc["version"] == before[name]["version"] + 1
    assert len(derived_keys(storage)) == 2
    assert len(repo.get(image_record.id, ADMIN).processing_results) == 2
    # Other parameters: other outputs, next to the first ones.
    other = run_algorithm(
        image_record, "preview", {"colormap": "viridis"}, storage, repo, max_pixels=MAX_PIXELS
    )
    assert other.status.value == "completed"
    assert len(derived_docs(repo, image_record)) == 4 and len(derived_keys(storage)) == 4


def test_outputs_follow_the_source_visibility(repo, storage, tmp_path):
    path = ff.write_product(folder(tmp_path, "pub"), "i2d", shape=(32, 32))
    public = stored_record(repo, storage, path, owner=None, is_public=True)
    result = run_algorithm(public, "statistics", {}, storage, repo, max_pixels=MAX_PIXELS)
    assert result.status.value == "completed"
    assert result.output_file_path is None and derived_keys(storage) == []
    assert result.results["count"] == 32 * 32
    preview = run_algorithm(public, "preview", {}, storage, repo, max_pixels=MAX_PIXELS)
    assert preview.status.value == "completed"
    for doc in derived_docs(repo, public):
        assert doc["isPublic"] is True and doc["userId"] is None
    anonymous = AccessContext.anonymous()
    ids = [d["_id"] for d in derived_docs(repo, public)]
    assert len(ids) == 2 and {r.id for r in repo.get_many(ids, anonymous)} == set(ids)


def test_sources_catalog_record(repo, storage, image_record):
    result = run_algorithm(
        image_record, "sources", {"boxSize": 40}, storage, repo, max_pixels=MAX_PIXELS
    )
    assert result.status.value == "completed", result.error_message
    assert result.results["count"] == 2
    (doc,) = derived_docs(repo, image_record)
    assert doc["dataType"] == "metadata" and doc["isViewable"] is False
    assert doc["fileFormat"] == "ecsv" and doc["filePath"] == result.output_file_path
    assert doc["fileName"].endswith("_cal_sources.ecsv")


def test_download_when_the_provider_has_no_local_path(repo, tmp_path, owner):
    storage = DownloadOnlyStorage(tmp_path / "remote")
    path = ff.gzip_copy(ff.write_product(folder(tmp_path, "src"), "cal", shape=(40, 50)))
    record = stored_record(repo, storage, path, owner=owner)
    result = run_algorithm(record, "histogram", {"bins": 8}, storage, repo, max_pixels=MAX_PIXELS)
    assert result.status.value == "completed", result.error_message
    assert sum(result.results["counts"]) == 40 * 50


def test_spectrum_plot_record(repo, storage, owner, tmp_path):
    path = ff.write_product(folder(tmp_path, "spec"), "x1d", instrument="NIRSPEC")
    record = stored_record(repo, storage, path, owner=owner, data_type="spectral")
    result = run_algorithm(record, "spectrum", {}, storage, repo, max_pixels=MAX_PIXELS)
    assert result.status.value == "completed", result.error_message
    (doc,) = derived_docs(repo, record)
    assert doc["dataType"] == "image" and doc["isViewable"] is True
    assert doc["imageInfo"]["width"] == 1000


# --- failures ----------------------------------------------------------------------------


def assert_failed(repo, storage, record, result, message: str, reason: str) -> None:
    assert result.status.value == "failed"
    assert message in (result.error_message or "")
    assert result.output_file_path is None and result.results == {"reason": reason}
    stored = repo.get(record.id, ADMIN).processing_results
    assert stored[-1] == result
    assert derived_keys(storage) == [] and derived_docs(repo, record) == []


def test_corrupt_input_appends_a_failed_result(repo, storage, owner, tmp_path):
    good = ff.write_product(tmp_path / "good.fits", "cal", shape=(64, 64))
    broken = ff.write_truncated(
        good, tmp_path / "jw02733001001_02101_00001_nrcalong_cal.fits", at="sci-data"
    )
    record = stored_record(repo, storage, broken, owner=owner)
    result = run_algorithm(record, "preview", {}, storage, repo, max_pixels=MAX_PIXELS)
    assert_failed(repo, storage, record, result, "truncated FITS file", "corrupt")
    assert result.algorithm_version == "1.0" and result.parameters["maxSize"] == 1024


def test_oversize_input_appends_a_failed_result(repo, storage, image_record):
    result = run_algorithm(image_record, "statistics", {}, storage, repo, max_pixels=1000)
    assert_failed(repo, storage, image_record, result, "more than the limit of 1,000", "oversize")


@pytest.mark.parametrize(
    ("name", "params", "message", "reason"),
    [
        ("nope", {}, "unknown algorithm 'nope'", "invalid_request"),
        ("preview", {"maxSize": 1}, "invalid parameters for preview: maxSize", "bad_parameters"),
        ("preview", {"$where": "1"}, "invalid parameters", "bad_parameters"),
        ("spectrum", {}, "spectrum cannot process", "unsupported_input"),
    ],
)
def test_refused_requests_append_a_failed_result(
    repo, storage, image_record, name, params, message, reason
):
    result = run_algorithm(image_record, name, params, storage, repo, max_pixels=MAX_PIXELS)
    assert_failed(repo, storage, image_record, result, message, reason)
    if name == "spectrum":  # valid parameters are recorded with their defaults
        assert result.parameters["fluxColumn"] == "FLUX"
    else:
        assert result.parameters == {}


def test_missing_stored_file(repo, storage, image_record):
    storage.delete(image_record.file_path)
    result = run_algorithm(image_record, "statistics", {}, storage, repo, max_pixels=MAX_PIXELS)
    assert_failed(repo, storage, image_record, result, "stored file", "storage")


def test_auto_preview_only_for_viewable_fits_records(repo, storage, image_record):
    assert wants_auto_preview(image_record)
    assert not wants_auto_preview(image_record.model_copy(update={"is_viewable": False}))
    run_algorithm(image_record, "preview", {}, storage, repo, max_pixels=MAX_PIXELS)
    for doc in derived_docs(repo, image_record):
        assert not wants_auto_preview(JwstDataModel.from_document(doc))


def test_validate_params_before_queuing(image_record):
    assert validate_params("preview", {"stretch": "log"})["stretch"] == "log"
    with pytest.raises(ProcessingError, match="cannot process"):
        validate_params("spectrum", {}, image_record)


# --- algorithms written for these tests --------------------------------------------------


class FlexParams(AlgorithmParams):
    tag: str = "a"


def flexible_registry(behaviour: dict[str, Any]) -> AlgorithmRegistry:
    """A registry with one algorithm whose outputs (and failures) the test decides."""

    class Flexible(Algorithm):
        name = "flexible"
        version = "0.1"
        summary = "test algorithm"
        Params = FlexParams
        input = IMAGE_INPUT

        def run(self, inputs: AlgorithmInput) -> AlgorithmOutput:
            if hook := behaviour.get("during_run"):
                hook(inputs)
            if error := behaviour.get("raise"):
                raise error
            outputs = [
                OutputFile(
                    name=name,
                    data_type=DataType.metadata,
                    format="txt",
                    description="test output",
                    is_viewable=False,
                    role="test",
                    content=content,
                )
                for name, content in behaviour["outputs"]
            ]
            return AlgorithmOutput(results={"value": float("nan"), "n": 1}, outputs=outputs)

    registry = AlgorithmRegistry()
    registry.add(Flexible())
    return registry


def test_outputs_no_longer_produced_are_removed(repo, storage, image_record):
    behaviour: dict[str, Any] = {"outputs": [("one.txt", b"1"), ("two.txt", b"2")]}
    registry = flexible_registry(behaviour)
    first = run_algorithm(
        image_record, "flexible", {}, storage, repo, max_pixels=MAX_PIXELS, registry=registry
    )
    assert first.status.value == "completed"
    assert first.results == {"value": None, "n": 1}  # NaN stored as null
    assert [d["fileName"] for d in derived_docs(repo, image_record)] == ["one.txt", "two.txt"]
    behaviour["outputs"] = [("two.txt", b"22")]
    run_algorithm(
        image_record, "flexible", {}, storage, repo, max_pixels=MAX_PIXELS, registry=registry
    )
    (doc,) = derived_docs(repo, image_record)
    assert doc["fileName"] == "two.txt" and doc["fileSize"] == 2
    assert [k.rsplit("-", 1)[1] for k in derived_keys(storage)] == ["two.txt"]


def test_failure_while_storing_leaves_nothing_behind(repo, storage, image_record):
    behaviour: dict[str, Any] = {"outputs": [("one.txt", b"1"), ("two.txt", b"2")]}
    registry = flexible_registry(behaviour)
    run_algorithm(
        image_record, "flexible", {}, storage, repo, max_pixels=MAX_PIXELS, registry=registry
    )
    assert len(derived_keys(storage)) == 2
    behaviour["outputs"] = [("one.txt", b"1"), ("two.txt", None)]
    result = run_algorithm(
        image_record, "flexible", {}, storage, repo, max_pixels=MAX_PIXELS, registry=registry
    )
    assert_failed(
        repo, storage, image_record, result, "neither content nor path", "algorithm_error"
    )


@pytest.mark.parametrize(
    ("error", "message", "reason"),
    [
        (ZeroDivisionError("boom"), "failed unexpectedly", "unexpected"),
        (MemoryError(), "out of memory", "out_of_memory"),
    ],
)
def test_algorithm_crash_is_a_failed_result(repo, storage, image_record, error, message, reason):
    registry = flexible_registry({"raise": error, "outputs": []})
    result = run_algorithm(
        image_record, "flexible", {}, storage, repo, max_pixels=MAX_PIXELS, registry=registry
    )
    assert_failed(repo, storage, image_record, result, message, reason)


def test_source_deleted_during_the_run(repo, storage, image_record):
    def delete_source(inputs: AlgorithmInput) -> None:
        repo.delete(image_record.id, ADMIN)

    registry = flexible_registry({"during_run": delete_source, "outputs": [("one.txt", b"1")]})
    result = run_algorithm(
        image_record, "flexible", {}, storage, repo, max_pixels=MAX_PIXELS, registry=registry
    )
    assert result.status.value == "failed" and "was deleted" in result.error_message
    assert result.results == {"reason": "source_deleted"}
    assert derived_keys(storage) == [] and derived_docs(repo, image_record) == []


def test_result_history_is_bounded(repo, storage, image_record, monkeypatch):
    assert MAX_RESULTS == 100
    monkeypatch.setattr(runner, "MAX_RESULTS", 4)
    registry = flexible_registry({"outputs": []})
    for tag in "abcdef":
        run_algorithm(
            image_record, "flexible", {"tag": tag}, storage, repo, max_pixels=MAX_PIXELS,
            registry=registry,
        )  # fmt: skip
    source = repo.get(image_record.id, ADMIN)
    assert [r.parameters["tag"] for r in source.processing_results] == list("cdef")
    assert source.version == image_record.version + 6
