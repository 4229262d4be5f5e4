"""What a storage migration has verified so far (``storage_migrations``).

One document per migration (``_id`` = the migration id: its status and times) and one per
verified key (``_id`` = ``{migration id}:{key}``: size and sha256 of the verified copy), so
every lookup, and the walk over one migration's keys, runs on the ``_id`` index. Which keys
count as verified, and when a source may be deleted, is the migration service's rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pymongo.database import Database

from jwstdata.db.connection import translate_errors
from jwstdata.db.hints import ID_INDEX, find_in, index_hint
from jwstdata.db.indexes import STORAGE_MIGRATIONS
from jwstdata.models.base import utcnow

if TYPE_CHECKING:
    from jwstdata.db.records import RecordRepository


class StorageMigrationState:
    def __init__(
        self,
        database: Database,
        migration_id: str,
        *,
        collection: str = STORAGE_MIGRATIONS,
        redacted_uri: str = "",
    ) -> None:
        self.collection = database[collection]
        self.migration_id = migration_id
        self._uri = redacted_uri

    @classmethod
    def beside(
        cls, repo: RecordRepository, migration_id: str, *, collection: str = STORAGE_MIGRATIONS
    ) -> StorageMigrationState:
        """The state of ``migration_id`` in the database of ``repo``'s records."""
        return cls(repo.collection.database, migration_id, collection=collection)

    def _key_id(self, key: str) -> str:
        return f"{self.migration_id}:{key}"

    def verified(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The verified copies among ``keys``: key -> ``{key, size, sha256, verifiedAt}``."""
        ids = [self._key_id(key) for key in dict.fromkeys(keys)]
        with translate_errors(self._uri):
            return {d["key"]: d for d in find_in(self.collection, "_id", ids, index=ID_INDEX)}

    def save_verified(self, key: str, size: int, sha256: str) -> dict[str, Any]:
        """Record the copy of ``key`` as verified; the state now held for it."""
        doc = {
            "migration": self.migration_id,
            "key": key,
            "size": size,
            "sha256": sha256,
            "verifiedAt": utcnow(),
        }
        with translate_errors(self._uri):
            self.collection.replace_one(
                {"_id": self._key_id(key)},
                doc,
                upsert=True,
                hint=index_hint(self.collection, ID_INDEX),
            )
        return doc

    def set_status(self, status: str, *, source: str, target: str, **fields: Any) -> None:
        """The migration's status and providers, ``updatedAt`` and other ``fields`` (camelCase)."""
        changes = {"status": status, "source": source, "target": target, "updatedAt": utcnow()}
        with translate_errors(self._uri):
            self.collection.update_one(
                {"_id": self.migration_id},
                {"$set": {**changes, **fields}},
                upsert=True,
                hint=index_hint(self.collection, ID_INDEX),
            )

    def status(self) -> str | None:
        """The status last set; None before the first run."""
        with translate_errors(self._uri):
            doc = self.collection.find_one(
                {"_id": self.migration_id}, hint=index_hint(self.collection, ID_INDEX)
            )
        return doc.get("status") if doc else None

    def verified_batches(self, batch_size: int) -> Iterator[list[dict[str, Any]]]:
        """Every verified key of this migration, in key order, ``batch_size`` at a time."""
        low = self._key_id("")
        high = f"{self.migration_id};"  # ';' follows ':': the range holds exactly our keys
        last = low
        while True:
            with translate_errors(self._uri):
                docs = list(
                    self.collection.find(
                        {"_id": {"$gt": last, "$lt": high}},
                        hint=index_hint(self.collection, ID_INDEX),
                    )
                    .sort("_id", 1)
                    .limit(batch_size)
                )
            if not docs:
                return
            last = docs[-1]["_id"]
            yield docs
