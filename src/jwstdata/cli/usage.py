"""A command-line mistake as one line: which command, which option, what is wrong.

Click's own report is the usage synopsis, a help hint and the error on three lines (and a
traceback when the exception is not recognised). The CLI prints one line instead and exits
2, click's code for a usage error.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from jwstdata.cli.common import one_line

if TYPE_CHECKING:
    from pymongo.errors import PyMongoError

# Typer 0.29 runs on its own copy of click; earlier versions on click itself.
try:
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - depends on the installed typer
    from click.exceptions import ClickException  # type: ignore[assignment]

_NOISE = ("Value error, ",)  # pydantic's prefix on a coerced option value's message


def is_help_request(exc: ClickException) -> bool:
    """No arguments to a group that shows its help then (click's NoArgsIsHelpError)."""
    return type(exc).__name__ == "NoArgsIsHelpError"


def usage_line(exc: ClickException) -> str:
    """``jwstdata search: invalid value for '--level': 'L4' is not one of ... (see --help)``."""
    message = exc.format_message()
    for noise in _NOISE:
        message = message.replace(noise, "")
    message = one_line(message).rstrip(".")
    if message[:1].isupper() and not message[1:2].isupper():
        message = message[0].lower() + message[1:]
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return message
    command = ctx.command_path
    return f"{command}: {message} (see `{command} --help`)"


def is_pymongo_error(exc: BaseException) -> bool:
    """A driver error that missed the data layer's translation. Checked without importing
    pymongo: if nothing imported it, nothing raised one (and ``--help`` stays quick)."""
    errors = sys.modules.get("pymongo.errors")
    return errors is not None and isinstance(exc, errors.PyMongoError)


def server_message(exc: PyMongoError) -> str:
    """The server's own message, never the whole error document."""
    from pymongo.errors import OperationFailure

    errmsg = (exc.details or {}).get("errmsg") if isinstance(exc, OperationFailure) else None
    return f"database error: {errmsg or str(exc).split(', full error:')[0][:200]}"


__all__ = [
    "ClickException",
    "is_help_request",
    "is_pymongo_error",
    "server_message",
    "usage_line",
]
