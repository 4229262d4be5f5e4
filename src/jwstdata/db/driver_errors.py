"""A driver error that escaped :func:`~jwstdata.db.connection.translate_errors`, translated
after the fact: the CLI's last line of defence, so a user never sees a pymongo traceback."""

from __future__ import annotations

from pymongo.errors import PyMongoError

from jwstdata.db.connection import translate_errors
from jwstdata.errors import DatabaseError, JwstDataError


def translate_escaped(exc: BaseException) -> JwstDataError | None:
    """The jwstdata error for a pymongo error (None for anything else)."""
    if not isinstance(exc, PyMongoError):
        return None
    try:
        with translate_errors():
            raise exc
    except JwstDataError as translated:
        return translated
    except PyMongoError:  # one the translation lets through (a bulk write's own report)
        errmsg = str(exc).split(", full error:")[0][:200]
        return DatabaseError(f"database error: {errmsg}")
    return None  # pragma: no cover - the block above always raises
