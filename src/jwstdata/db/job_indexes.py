"""Indexes of the ``jobs`` collection (the processing and import queue).

Registered into :data:`jwstdata.db.indexes.INDEXES`, so ``jwstdata db init`` creates them;
workers also create them on start (:meth:`JobRepository.ensure_indexes`). Every query on
``jobs`` names its index with ``hint``.
"""

from __future__ import annotations

from jwstdata.db.index_spec import IndexSpec, _ix

JOBS = "jobs"

QUEUE_INDEX = "queue"
RECENT_INDEX = "jobs_recent"
OWNER_INDEX = "jobs_owner_recent"
STATE_INDEX = "jobs_state_recent"
KIND_INDEX = "jobs_kind_recent"
ACTIVE_INDEX = "jobs_owner_state"

JOB_COLLECTION_INDEXES: tuple[IndexSpec, ...] = (
    # Claims scan the two claimable states (queued, running with an expired lease) in
    # claim order; running jobs are few (one per worker slot), so the scan stays short.
    _ix(
        QUEUE_INDEX,
        ("state", 1),
        ("priority", -1),
        ("createdAt", 1),
        ("_id", 1),
        serves="workers claim the next job: highest priority, then oldest",
    ),
    _ix(RECENT_INDEX, ("createdAt", -1), ("_id", -1), serves="admin job listing, newest first"),
    _ix(
        OWNER_INDEX,
        ("userId", 1),
        ("createdAt", -1),
        ("_id", -1),
        serves="a user's own jobs, newest first",
    ),
    _ix(
        STATE_INDEX,
        ("state", 1),
        ("createdAt", -1),
        ("_id", -1),
        serves="jobs by state (e.g. failed), newest first",
    ),
    _ix(
        KIND_INDEX,
        ("kind", 1),
        ("createdAt", -1),
        ("_id", -1),
        serves="jobs of one kind (e.g. mast-import), newest first",
    ),
    _ix(
        ACTIVE_INDEX,
        ("userId", 1),
        ("userRequested", 1),
        ("state", 1),
        serves="the active (queued, running) jobs a user asked for, counted against a quota",
    ),
)

JOB_INDEXES: dict[str, tuple[IndexSpec, ...]] = {JOBS: JOB_COLLECTION_INDEXES}
