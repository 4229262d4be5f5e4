"""How a search field is written outside Python, declared beside the field itself.

A :class:`~jwstdata.models.search.SearchQuery` field is written in a URL (the API, the
library page, the client's keywords) by its alias, and on the command line as ``--`` and
that URL name in kebab case, unless its declaration says otherwise with :class:`Spelled`::

    tags: Annotated[list[str], Spelled(url="tag")] = Field(default_factory=list)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Switch:
    """A yes/no parameter that, when given, sets its field to ``value``.

    ``includeArchived`` sets ``isArchived`` to None (archived and not); the CLI's
    ``--any-tag`` sets ``tagMode`` to ``any``. ``None`` for ``url`` or ``cli``: not there.
    """

    name: str
    url: str | None
    cli: str | None
    value: Any
    description: str


@dataclass(frozen=True, slots=True)
class Spelled:
    """The names of one field outside Python, where they are not the defaults.

    ``url``: the query-string name. ``cli``: the option's names; an empty tuple means the
    default, and ``None`` that the command line reaches the field through a switch only.
    ``cli_help``: the option's help when it should not be the field's description.
    ``url_type``/``url_default``: what the URL carries when it is not the field's own
    type (``derived=any`` for ``isDerived=None``); the field's validator reads it.
    """

    url: str | None = None
    cli: tuple[str, ...] | None = ()
    cli_help: str | None = None
    url_type: Any = None
    url_default: Any = None
    switch: Switch | None = None
