"""MAST import jobs: plan the products, download in parallel, store, record, link.

A job (kind ``mast_import``) carries its plan in ``progress.files``: one entry per product
with its state (``pending``, ``done``, ``failed``) and last error. A retried or resumed job
skips files that are done; a partly downloaded file stays in the staging area
(``$JWSTDATA_HOME/staging/mast/<job>``) and continues with an HTTP ``Range`` request. Each
file is size-checked against the listing, described (name + FITS headers), streamed into
the storage provider under ``mast/{obs_id}/{file}`` and recorded before it counts as done:
re-importing the same dataURI updates the same record. Public data is recorded with
``userId`` null and ``isPublic`` true; exclusive-access data belongs to the importing user.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bson import ObjectId
from pydantic import ValidationError as PydanticValidationError

from jwstdata.errors import JwstDataError, ValidationError, pydantic_to_validation_error
from jwstdata.inflate import InflateLimits
from jwstdata.keys import mast_key, safe_file_name
from jwstdata.mast import (
    Mast,
    ObservationQuery,
    ObservationRow,
    ProductFilter,
    ProductRow,
    filter_products,
)
from jwstdata.models import AccessContext, JwstDataModel, ProcessingLevel, ProcessingStatus
from jwstdata.models.job import Job
from jwstdata.services.describe import describe_file
from jwstdata.services.jobs.context import JobContext, JobServices
from jwstdata.services.jobs.registry import JobCancelled, JobFailed, job_handler
from jwstdata.services.lineage import LineageLinker
from jwstdata.services.mast.records import image_info, is_public, mast_metadata, observation_base_id
from jwstdata.services.processing_jobs import queue_auto_previews
from jwstdata.services.record_writer import RecordWriter

KIND = "mast_import"
_ADMIN = AccessContext.admin()  # the importer reads back what it just wrote
DONE, FAILED, PENDING = "done", "failed", "pending"


@dataclass(frozen=True)
class ImportRequest:
    obs_ids: tuple[str, ...]
    levels: tuple[ProcessingLevel, ...] = ()
    suffixes: tuple[str, ...] = ()
    min_recommended: bool = False
    include_auxiliary: bool = False
    include_previews: bool = False

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ImportRequest:
        try:
            obs_ids = tuple(str(o).strip() for o in params.get("obsIds", []) if str(o).strip())
            levels = tuple(ProcessingLevel(v) for v in params.get("levels", []))
        except ValueError as exc:
            raise ValidationError(f"invalid import parameters: {exc}") from None
        if not obs_ids:
            raise ValidationError("an import needs at least one observation id (obsIds)")
        return cls(
            obs_ids=obs_ids,
            levels=levels,
            suffixes=tuple(str(s).lower() for s in params.get("suffixes", [])),
            min_recommended=bool(params.get("minRecommended", False)),
            include_auxiliary=bool(params.get("includeAuxiliary", False)),
            include_previews=bool(params.get("includePreviews", False)),
        )

    def to_params(self) -> dict[str, Any]:
        return {
            "obsIds": list(self.obs_ids),
            "levels": [lv.value for lv in self.levels],
            "suffixes": list(self.suffixes),
            "minRecommended": self.min_recommended,
            "includeAuxiliary": self.include_auxiliary,
            "includePreviews": self.include_previews,
        }

    def product_filter(self) -> ProductFilter:
        return ProductFilter(
            levels=self.levels,
            suffixes=self.suffixes,
            min_recommended=self.min_recommended,
            include_auxiliary=self.include_auxiliary,
            include_previews=self.include_previews,
        )


@dataclass
class PlannedFile:
    product: ProductRow
    observation: ObservationRow

    @property
    def name(self) -> str:
        return safe_file_name(self.product.product_filename)

    @property
    def key(self) -> str:
        return mast_key(self.observation.obs_id, self.name)


def plan(mast: Mast, request: ImportRequest) -> list[PlannedFile]:
    """The files an import would fetch (also the ``--dry-run`` answer)."""
    observations = mast.search.observations(ObservationQuery(obs_ids=request.obs_ids))
    by_obsid = {row.obsid: row for row in observations if row.obsid}
    by_obs_id = {row.obs_id.lower(): row for row in observations}
    unknown = [o for o in request.obs_ids if o.lower() not in by_obs_id and o not in by_obsid]
    if unknown:
        raise ValidationError(f"unknown MAST observation(s): {', '.join(unknown)}")
    products = mast.products.list(list(by_obsid))
    kept = filter_products(products, request.product_filter())
    return [PlannedFile(p, by_obsid.get(p.obsid) or next(iter(by_obsid.values()))) for p in kept]


class _Counters:
    def __init__(
        self, files_total: int, bytes_total: int, files_done: int, bytes_done: int
    ) -> None:
        self.lock = threading.Lock()
        self.files_total, self.bytes_total = files_total, bytes_total
        self.files_done, self.bytes_done = files_done, bytes_done
        self.started, self.bytes_at_start = time.monotonic(), bytes_done

    def snapshot(self) -> dict[str, Any]:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = (self.bytes_done - self.bytes_at_start) / elapsed
        left = max(self.bytes_total - self.bytes_done, 0)
        return {
            "filesDone": self.files_done,
            "filesTotal": self.files_total,
            "bytesDone": self.bytes_done,
            "bytesTotal": self.bytes_total,
            "rate": round(rate, 1),
            "eta": round(left / rate, 1) if rate > 0 else None,
        }


class MastImporter:
    def __init__(self, services: JobServices) -> None:
        self.services = services
        self.settings = services.settings
        self.storage = services.storage
        self.repo = services.records
        self.writer = RecordWriter(self.repo, self.storage)

    def run(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        request = ImportRequest.from_params(job.params)
        staging = self.settings.home_dir / "staging" / "mast" / str(job.id)
        staging.mkdir(parents=True, exist_ok=True)
        mast = self.services.mast  # shared by the worker's jobs, closed with its root
        planned = plan(mast, request)
        states = self._states(job, planned)
        counters = _Counters(
            len(planned),
            sum(p.product.size or 0 for p in planned),
            sum(1 for p in planned if states[p.product.data_uri]["state"] == DONE),
            sum(
                p.product.size or 0 for p in planned if states[p.product.data_uri]["state"] == DONE
            ),
        )
        ctx.progress(files=list(states.values()), **counters.snapshot())
        todo = [p for p in planned if states[p.product.data_uri]["state"] != DONE]
        ctx.log(f"{len(planned)} files planned, {len(todo)} to fetch")
        record_ids: list[ObjectId] = []
        with ThreadPoolExecutor(max_workers=max(1, self.settings.mast_concurrency)) as pool:
            futures = [
                pool.submit(self._one, mast, item, job, ctx, staging, counters, states, record_ids)
                for item in todo
            ]
            for future in futures:
                future.result()
        if ctx.cancelled():
            raise JobCancelled()
        if record_ids:
            LineageLinker(self.repo).link(record_ids)
            if self.settings.auto_preview:
                queue_auto_previews(self.services.jobs, self.repo, record_ids)
        failed = [s for s in states.values() if s["state"] == FAILED]
        done = sum(1 for s in states.values() if s["state"] == DONE)
        ctx.progress(files=list(states.values()), **counters.snapshot())
        if failed and not done:
            raise JobFailed(f"no file could be imported ({failed[0]['error']})", retry=False)
        if not any(staging.iterdir()):
            staging.rmdir()
        return {
            "imported": done,
            "failed": [{"name": f["name"], "error": f["error"]} for f in failed],
            "bytes": counters.bytes_done,
        }

    @staticmethod
    def _states(job: Job, planned: list[PlannedFile]) -> dict[str, dict[str, Any]]:
        previous = {f.get("uri"): f for f in job.progress.get("files", []) if isinstance(f, dict)}
        states = {}
        for item in planned:
            uri = item.product.data_uri
            old = previous.get(uri, {})
            state = DONE if old.get("state") == DONE else PENDING
            states[uri] = {
                "name": item.name,
                "uri": uri,
                "size": item.product.size,
                "state": state,
                "error": None,
                "recordId": old.get("recordId") if state == DONE else None,
            }
        return states

    def _one(
        self,
        mast: Mast,
        item: PlannedFile,
        job: Job,
        ctx: JobContext,
        staging: Path,
        counters: _Counters,
        states: dict[str, dict[str, Any]],
        record_ids: list[ObjectId],
    ) -> None:
        state = states[item.product.data_uri]
        if ctx.cancelled():
            return
        partial = staging / item.name
        try:
            self._download(mast, item, partial, ctx, counters)
            record = self._store_and_record(item, partial, job)
        except JobCancelled:
            return
        except JwstDataError as exc:
            with counters.lock:
                counters.bytes_done -= min(
                    counters.bytes_done, partial.stat().st_size if partial.exists() else 0
                )
            state.update(state=FAILED, error=exc.message)
            ctx.log(f"{item.name}: {exc.message}")
            ctx.progress(files=list(states.values()), **counters.snapshot())
            return
        partial.unlink(missing_ok=True)
        with counters.lock:
            counters.files_done += 1
            record_ids.append(record.object_id)
        state.update(state=DONE, error=None, recordId=str(record.id))
        ctx.progress(files=list(states.values()), **counters.snapshot())

    def _download(
        self, mast: Mast, item: PlannedFile, partial: Path, ctx: JobContext, counters: _Counters
    ) -> None:
        expected = item.product.size
        start = partial.stat().st_size if partial.exists() else 0
        if expected is not None and start > expected:
            partial.unlink()
            start = 0
        with counters.lock:
            counters.bytes_done += start

        def on_chunk(size: int) -> None:
            with counters.lock:
                counters.bytes_done += size
            if ctx.cancelled():
                raise JobCancelled()

        if expected is None or start < expected:
            with open(partial, "ab") as out:
                mast.client.download(item.product.data_uri, out, start=start, progress=on_chunk)
        size = partial.stat().st_size
        if expected is not None and size != expected:
            partial.unlink()
            raise ValidationError(f"size mismatch: MAST lists {expected} bytes, received {size}")

    def _store_and_record(self, item: PlannedFile, partial: Path, job: Job) -> JwstDataModel:
        description = describe_file(
            partial, name=item.name, inflate=InflateLimits.of(self.settings)
        )
        public = is_public(item.observation, item.product)
        owner = None if public else job.user_id
        if not public and owner is None:
            raise ValidationError("exclusive-access data needs an importing user")
        stored = self.storage.write_path(item.key, partial)
        fields = description.fields
        header_info = fields.get("imageInfo") or {}
        base_id = fields.get("observationBaseId")
        mast_base = observation_base_id(item.observation)
        if mast_base and (not base_id or "_" not in base_id):
            base_id = mast_base
        data = {
            **fields,
            "filePath": item.key,
            "fileSize": stored.size,
            "checksum": stored.sha256,
            "userId": owner,
            "isPublic": public,
            "observationBaseId": base_id,
            "processingStatus": ProcessingStatus.completed,  # nothing queued (yet)
            "imageInfo": {**header_info, **image_info(item.observation)},
            "metadata": {
                **fields.get("metadata", {}),
                **mast_metadata(item.observation, item.product),
            },
        }
        try:
            record = JwstDataModel.model_validate({**data, "id": ObjectId()})
        except PydanticValidationError as exc:
            self.writer.discard_file(item.key)
            raise pydantic_to_validation_error(exc) from None
        outcome = self.writer.upsert([record], owner=owner, remove_files_on_failure=True)
        if outcome.failed:
            raise ValidationError(outcome.failed[0])
        return self.repo.get(outcome.ids[0], _ADMIN)


@job_handler(KIND)
def mast_import_job(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Import MAST observations (see the module docstring)."""
    return MastImporter(ctx.services).run(job, ctx)
