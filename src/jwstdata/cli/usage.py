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
    from jwstdata.errors import JwstDataError

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


def escaped_database_error(exc: BaseException) -> JwstDataError | None:
    """A driver error that missed the data layer's translation, translated by the data layer
    now. Asked only once the data layer is loaded: if nothing loaded it, nothing raised one
    (and ``--help`` stays quick)."""
    if "jwstdata.db" not in sys.modules:
        return None
    from jwstdata.db.driver_errors import translate_escaped

    return translate_escaped(exc)


__all__ = [
    "ClickException",
    "escaped_database_error",
    "is_help_request",
    "usage_line",
]
