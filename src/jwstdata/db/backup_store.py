"""Reading a database out for a backup, and writing one back in, as raw BSON.

Documents are never decoded into Python values and encoded again (``RawBSONDocument``,
raw batches), so what is read is byte-for-byte what is stored and a restored document is
byte-for-byte the one backed up. Every collection is read by one cursor in ``_id`` order.
What goes into the backup directory, and in which order a restore runs, is
:mod:`jwstdata.services.backup`'s and :mod:`jwstdata.services.backup_restore`'s business.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo.errors import BulkWriteError, OperationFailure

from jwstdata.db.connection import DatabaseHandle, translate_errors
from jwstdata.db.hints import ID_INDEX, find_in, index_hint
from jwstdata.db.indexes import RECORDS
from jwstdata.db.portable import create_index

READ_BATCH = 1000
RAW = CodecOptions(document_class=RawBSONDocument)


class _RawAccess:
    def __init__(self, handle: DatabaseHandle) -> None:
        self.handle = handle
        self.db = handle.db
        self._uri = handle.redacted_uri

    @property
    def database_name(self) -> str:
        return self.db.name

    def collection_names(self) -> list[str]:
        """Every collection except the server's own, ``jwst_data`` first."""
        with translate_errors(self._uri):
            names = [n for n in self.db.list_collection_names() if not n.startswith("system.")]
        return sorted(names, key=lambda name: (name != RECORDS, name))

    def raw_batches(self, name: str) -> Iterator[bytes]:
        """The whole collection as raw BSON batches, in ``_id`` order (one cursor)."""
        collection = self.db.get_collection(name, codec_options=RAW)
        with translate_errors(self._uri):
            yield from collection.find_raw_batches(
                {}, sort=[("_id", 1)], hint=index_hint(collection, ID_INDEX), batch_size=READ_BATCH
            )

    def indexes(self, name: str) -> list[dict[str, Any]]:
        """The indexes the server lists for ``name`` (``_id_`` included)."""
        with translate_errors(self._uri):
            return list(self.db[name].list_indexes())


class BackupReader(_RawAccess):
    """The collections of one database, read for a backup."""

    def options(self, name: str) -> dict[str, Any]:
        """The options ``name`` was created with (validator included)."""
        with translate_errors(self._uri):
            info = next(iter(self.db.list_collections(filter={"name": name})), None) or {}
        return info.get("options", {})

    def records_by_id(self, ids: list[Any]) -> dict[Any, RawBSONDocument]:
        """The records of ``ids`` that still exist, as they are now (raw)."""
        collection = self.db.get_collection(RECORDS, codec_options=RAW)
        with translate_errors(self._uri):
            return {d["_id"]: d for d in find_in(collection, "_id", ids, index=ID_INDEX)}


class RestoreWriter(_RawAccess):
    """One database, written from a backup."""

    def all_collection_names(self) -> list[str]:
        """Every collection except the server's own, in the server's order."""
        with translate_errors(self._uri):
            return [n for n in self.db.list_collection_names() if not n.startswith("system.")]

    def holding_documents(self, names: Iterable[str]) -> list[str]:
        """Those of ``names`` that hold at least one document."""
        with translate_errors(self._uri):
            return [
                n
                for n in names
                if self.db[n].find_one({}, {"_id": 1}, hint=index_hint(self.db[n], ID_INDEX))
            ]

    def drop(self, names: Iterable[str]) -> None:
        with translate_errors(self._uri):
            for name in names:
                self.db.drop_collection(name)

    def create(self, name: str, options: dict[str, Any]) -> None:
        with translate_errors(self._uri):
            self.db.create_collection(name, **options)

    def insert_raw(self, name: str, batch: list[RawBSONDocument]) -> str | None:
        """Insert ``batch`` in order, unvalidated; the server's first complaint, or None."""
        with translate_errors(self._uri):
            try:
                self.db[name].insert_many(batch, ordered=True, bypass_document_validation=True)
            except BulkWriteError as exc:
                first = (exc.details.get("writeErrors") or [{}])[0]
                return str(first.get("errmsg", exc))
        return None

    def set_validation(self, name: str, validation: dict[str, Any]) -> None:
        with translate_errors(self._uri):
            self.db.command("collMod", name, **validation)

    def create_listed_index(self, name: str, spec: dict[str, Any]) -> str | None:
        """Create an index as the server listed it; the server's refusal, or None."""
        options = {k: v for k, v in spec.items() if k not in ("v", "key", "ns", "name")}
        with translate_errors(self._uri):  # outside: a refusal is an answer, not an error
            try:
                create_index(self.db[name], list(spec["key"].items()), name=spec["name"], **options)
            except OperationFailure as exc:
                return str(exc)
        return None
