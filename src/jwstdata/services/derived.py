"""Processing outputs follow their source: visibility, sharing, archiving and deletion.

A processing output (preview, thumbnail, spectrum PNG, source list: ``metadata.source`` is
``processing``, ``derivedFrom`` its source) shows the source's data, so it may never be more
visible than the source is *now*, not only when it was made. After every change of a
source's ``isPublic``, ``sharedWith`` or archive state, :meth:`DerivedProducts.follow`
brings its outputs (and theirs, down the ``derivedFrom`` graph) in line:

- outputs owned by the source's owner take the source's ``isPublic``, ``sharedWith`` and
  archive flags (an archived source's outputs are archived by flag; their small files stay);
- outputs a reader made for themselves stay private to that reader, and are deleted once
  the reader can no longer read the source.

Deleting a source deletes its outputs with their files (:meth:`DerivedProducts.remove`).
Reads check the source too (:meth:`RecordRepository.get_many`), so an output whose
propagation was interrupted still cannot be read past its source.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from jwstdata.db.derived import PROCESSING_SOURCE, differs, outputs_of, wanted_fields
from jwstdata.db.output_store import OutputStore
from jwstdata.db.records import RecordRepository
from jwstdata.models import JwstDataModel
from jwstdata.services.record_writer import RecordWriter
from jwstdata.storage import StorageProvider

MAX_DEPTH = 8  # outputs of outputs are rare; the bound only guards against a forged cycle


class DerivedProducts:
    def __init__(self, repo: RecordRepository, storage: StorageProvider) -> None:
        self.repo = repo
        self.outputs = OutputStore(repo)
        self.writer = RecordWriter(repo, storage)

    def _children(self, source_id: ObjectId) -> list[dict[str, Any]]:
        return self.outputs.outputs_of(source_id)

    def _source_doc(self, source: JwstDataModel | dict[str, Any]) -> dict[str, Any]:
        if isinstance(source, dict):
            return source
        return source.to_document()

    def follow(self, source: JwstDataModel | dict[str, Any]) -> dict[str, int]:
        """Align every output below ``source`` with it; counts of updated and deleted."""
        outcome = {"updated": 0, "deleted": 0}
        frontier = [self._source_doc(source)]
        seen: set[ObjectId] = {frontier[0]["_id"]}
        for _ in range(MAX_DEPTH):
            following: list[dict[str, Any]] = []
            for parent in frontier:
                for child in self._children(parent["_id"]):
                    if child["_id"] in seen:
                        continue
                    seen.add(child["_id"])
                    wanted = wanted_fields(parent, child)
                    if wanted is None:
                        outcome["deleted"] += self.remove(child["_id"]) + self._delete(child)
                        continue
                    changes = differs(child, wanted)
                    if changes:
                        self.repo.set_fields(child["_id"], changes)
                        outcome["updated"] += 1
                    following.append({**child, **wanted})
            if not following:
                break
            frontier = following
        return outcome

    def remove(self, source_id: ObjectId) -> int:
        """Delete every output below ``source_id`` (records and files); how many."""
        removed = 0
        frontier = [source_id]
        seen = {source_id}
        for _ in range(MAX_DEPTH):
            children = [c for s in frontier for c in self._children(s) if c["_id"] not in seen]
            if not children:
                break
            for child in children:
                seen.add(child["_id"])
                removed += self._delete(child)
            frontier = [c["_id"] for c in children]
        return removed

    def _delete(self, doc: dict[str, Any]) -> int:
        gone = self.outputs.take(doc["_id"])
        if gone is None:
            return 0
        key = gone.get("filePath")
        if key and not self.outputs.path_in_use(key):
            self.writer.discard_file(key)
        return 1


__all__ = ["PROCESSING_SOURCE", "DerivedProducts", "outputs_of", "wanted_fields"]
