"""What the connected server can do: probed once per server and process, then cached.

jwstdata runs on MongoDB, on SecantusDB (the embedded default) and on FerretDB v1.x
(SQLite). Code that depends on an optional server feature asks these flags and takes a
documented fallback where one is missing (README, "Compatibility: FerretDB"), instead of
guessing from a server name or version string. Probes exercise the real behaviour in
scratch collections of the application's database, which are dropped afterwards.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any

from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError, WriteError

PROBE_PREFIX = "_jwstdata_probe_"


@dataclass(frozen=True)
class ServerFeatures:
    """Optional behaviour of the server; every flag is ``True`` on MongoDB 6+."""

    server: str  # mongodb | secantusdb | ferretdb (from buildInfo; for reports only)
    version: str  # that server's own release (MongoDB's version for MongoDB)
    json_schema_validator: bool  # collMod ``$jsonSchema`` validator, enforced (code 121)
    ttl_indexes: bool  # index option ``expireAfterSeconds``
    partial_indexes: bool  # index option ``partialFilterExpression``
    sparse_unique_indexes: bool  # a sparse unique index skips documents without the key
    collation: bool  # ``collation`` on queries
    facet_stage: bool  # aggregation ``$facet``
    lookup_stage: bool  # aggregation ``$lookup``
    group_accumulators: bool  # a ``$group`` with several accumulators computes all of them
    find_and_modify_projection: bool  # ``projection`` on findAndModify
    push_slice: bool  # ``$push`` with ``$each``/``$slice`` trims the array
    duplicate_key_details: bool  # E11000 errors name the index or the duplicated key
    hint_enforced: bool  # an unknown ``hint`` is an error (else: accepted and ignored)
    explain_plan_stages: bool  # ``explain`` reports plan stages (IXSCAN, COLLSCAN, ...)
    # A ``hint`` costs about what the planner's own choice costs. SecantusDB walks the whole
    # hinted index (and decodes every document) instead of seeking in it, so there a hint
    # turns a 2 ms equality lookup into a scan of the collection.
    hint_efficient: bool

    def missing(self) -> list[str]:
        """The names of the features this server lacks."""
        return [f.name for f in fields(self) if f.type == "bool" and not getattr(self, f.name)]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Keyed by the client's seed list and replica set (``MongoClient.eq_props``), so the many
# short-lived clients of one process (CLI commands, tests) share one probe per server.
_CACHE: dict[Any, ServerFeatures] = {}
_LOCK = threading.Lock()


def server_features(db: Database) -> ServerFeatures:
    """The features of ``db``'s server, probed on first use (thread-safe)."""
    key = db.client.eq_props()
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is None:
            cached = _CACHE[key] = probe(db)
    return cached


def identify(build_info: dict[str, Any]) -> tuple[str, str]:
    if "ferretdbVersion" in build_info:
        return "ferretdb", str(build_info["ferretdbVersion"])
    if "secantusVersion" in build_info:
        return "secantusdb", str(build_info["secantusVersion"])
    return "mongodb", str(build_info.get("version", "unknown"))


def probe(db: Database) -> ServerFeatures:
    """Run every check against the server. Connection failures propagate; a refused
    command or option means "unsupported". Without the right to create collections the
    checks cannot run, and every feature is assumed present (the MongoDB baseline)."""
    server, version = identify(db.client.admin.command("buildInfo"))
    results: dict[str, bool] = {}
    try:
        with _scratch(db) as new_collection:
            for name, check in _CHECKS.items():
                results[name] = _passes(check, new_collection)
    except _NoScratch:
        results = dict.fromkeys(_CHECKS, True)
    return ServerFeatures(server=server, version=version, **results)


# --- probes -------------------------------------------------------------------------------
class _NoScratch(Exception):
    pass


@contextlib.contextmanager
def _scratch(db: Database) -> Iterator[Callable[[], Collection]]:
    """A factory of empty scratch collections, all dropped on the way out."""
    made: list[str] = []

    def new_collection() -> Collection:
        name = f"{PROBE_PREFIX}{uuid.uuid4().hex[:12]}"
        try:
            db.create_collection(name)
        except OperationFailure as exc:
            raise _NoScratch(str(exc)) from None
        made.append(name)
        return db[name]

    try:
        new_collection()  # fail early (no rights) before any check runs
        yield new_collection
    finally:
        for name in made:
            with contextlib.suppress(PyMongoError):
                db.drop_collection(name)


def _passes(
    check: Callable[[Callable[[], Collection]], bool], new: Callable[[], Collection]
) -> bool:
    try:
        return check(new)
    except OperationFailure:  # includes WriteError: the server refused the command or option
        return False


def _validator(new: Callable[[], Collection]) -> bool:
    coll = new()
    coll.database.command(
        "collMod",
        coll.name,
        validator={"$jsonSchema": {"required": ["x"]}},
        validationLevel="strict",
    )
    try:
        coll.insert_one({})
    except WriteError as exc:
        return exc.code == 121
    return False  # accepted but not enforced


def _index_option(**option: Any) -> Callable[[Callable[[], Collection]], bool]:
    def check(new: Callable[[], Collection]) -> bool:
        new().create_index([("k", 1)], name="probe", **option)
        return True

    return check


def _sparse_unique(new: Callable[[], Collection]) -> bool:
    coll = new()
    coll.create_index([("k", 1)], name="probe", unique=True, sparse=True)
    coll.insert_many([{}, {}])
    return True


def _collation(new: Callable[[], Collection]) -> bool:
    list(new().find({}, collation={"locale": "en", "strength": 2}).limit(1))
    return True


def _stage(make: Callable[[str], dict[str, Any]]) -> Callable[[Callable[[], Collection]], bool]:
    """A one-stage pipeline, built for the scratch collection's name."""

    def check(new: Callable[[], Collection]) -> bool:
        coll = new()
        list(coll.aggregate([make(coll.name)]))
        return True

    return check


def _group_accumulators(new: Callable[[], Collection]) -> bool:
    coll = new()
    coll.insert_many([{"n": 2}, {"n": 3}])
    rows = list(coll.aggregate([{"$group": {"_id": None, "c": {"$sum": 1}, "s": {"$sum": "$n"}}}]))
    return len(rows) == 1 and rows[0]["c"] == 2 and rows[0]["s"] == 5


def _find_and_modify_projection(new: Callable[[], Collection]) -> bool:
    coll = new()
    coll.insert_one({"a": 1, "b": 2})
    doc = coll.find_one_and_update({"a": 1}, {"$set": {"c": 3}}, projection={"b": 1, "_id": 0})
    return doc == {"b": 2}


def _push_slice(new: Callable[[], Collection]) -> bool:
    coll = new()
    coll.insert_one({"_id": 1, "a": []})
    coll.update_one({"_id": 1}, {"$push": {"a": {"$each": [1, 2, 3], "$slice": -2}}})
    return (coll.find_one({"_id": 1}) or {}).get("a") == [2, 3]


def _duplicate_key_details(new: Callable[[], Collection]) -> bool:
    coll = new()
    coll.create_index([("k", 1)], name="probe_unique", unique=True)
    coll.insert_one({"k": 1})
    try:
        coll.insert_one({"k": 1})
    except WriteError as exc:
        details = exc.details or {}
        return bool(details.get("keyValue")) or "probe_unique" in str(details.get("errmsg", ""))
    return False


def _hint_enforced(new: Callable[[], Collection]) -> bool:
    try:
        list(new().find({}).hint("probe_no_such_index").limit(1))
    except OperationFailure:
        return True
    return False


def _explain_plan_stages(new: Callable[[], Collection]) -> bool:
    coll = new()
    coll.insert_one({"_id": 1})
    return "'stage'" in repr(coll.find({"_id": 1}).explain().get("queryPlanner", {}))


HINT_PROBE_DOCUMENTS = 2000


def _best_of(runs: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def _hint_efficient(new: Callable[[], Collection]) -> bool:
    """Time one equality lookup with and without ``hint`` on a 2,000-document collection.

    Behaviour, not timing noise, decides: a seeking server answers both in well under a
    millisecond; a server that walks the hinted index pays for every document, tens of
    times the unhinted lookup. The margin (4x plus 3 ms) leaves room for a busy machine.
    """
    coll = new()
    coll.insert_many([{"k": i % 200, "pad": "x" * 64} for i in range(HINT_PROBE_DOCUMENTS)])
    coll.create_index([("k", 1)], name="probe_k")
    plain = _best_of(3, lambda: list(coll.find({"k": 7})))
    hinted = _best_of(3, lambda: list(coll.find({"k": 7}).hint("probe_k")))
    return hinted <= 4 * plain + 0.003


_CHECKS: dict[str, Callable[[Callable[[], Collection]], bool]] = {
    "json_schema_validator": _validator,
    "ttl_indexes": _index_option(expireAfterSeconds=3600),
    "partial_indexes": _index_option(partialFilterExpression={"k": {"$exists": True}}),
    "sparse_unique_indexes": _sparse_unique,
    "collation": _collation,
    "facet_stage": _stage(lambda _: {"$facet": {"n": [{"$count": "n"}]}}),
    "lookup_stage": _stage(
        lambda name: {
            "$lookup": {"from": name, "localField": "_id", "foreignField": "_id", "as": "j"}
        }
    ),
    "group_accumulators": _group_accumulators,
    "find_and_modify_projection": _find_and_modify_projection,
    "push_slice": _push_slice,
    "duplicate_key_details": _duplicate_key_details,
    "hint_enforced": _hint_enforced,
    "explain_plan_stages": _explain_plan_stages,
    "hint_efficient": _hint_efficient,
}
