"""The MongoDB data layer: connection, indexes, validator and repositories."""

from jwstdata.db.connection import DatabaseHandle, translate_errors
from jwstdata.db.opening import open_database
from jwstdata.db.records import BulkInsertReport, RecordRepository, SearchPage
from jwstdata.db.setup import InitReport, init_database, list_indexes

__all__ = [
    "BulkInsertReport",
    "DatabaseHandle",
    "InitReport",
    "RecordRepository",
    "SearchPage",
    "init_database",
    "list_indexes",
    "open_database",
    "translate_errors",
]
