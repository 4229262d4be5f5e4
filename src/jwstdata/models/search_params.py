"""The search's parameters, read from :class:`~jwstdata.models.search.SearchQuery`'s fields.

Every surface that takes a search asks this module instead of listing names of its own:
the API builds its query parameters from :func:`search_parameters`, the CLI takes each
option's names and help from it, the library page parses its URL with
:func:`query_values_from_url`, and the client checks its keywords against
:func:`url_names`. A field added to the model is therefore a parameter everywhere.

>>> [p.url for p in search_parameters() if p.name in ("text", "tags", "is_derived")]
['tag', 'derived', 'q']
>>> search_query_from({"include_archived": True}).is_archived is None
True
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
from bson import ObjectId

from jwstdata.models.search import SearchQuery
from jwstdata.models.search_spelling import Spelled, Switch

OBJECT_ID_PATTERN = "^[0-9a-f]{24}$"
# Paging parameters: what a caller pages with, not what it filters on.
PAGING = frozenset({"limit", "cursor"})


@dataclass(frozen=True, slots=True)
class SearchParameter:
    """One parameter of a search, as the surfaces write it.

    ``name`` is the SearchQuery attribute (a switch's own name for a switch), and the
    Python name of the parameter in the API's dependency and the CLI's command.
    ``url_type`` is the type a query string carries (ids as text with ``pattern``,
    dates as ``datetime``). ``cli`` is empty when the command line has no such option.
    """

    name: str
    alias: str
    url: str | None
    cli: tuple[str, ...]
    url_type: Any
    default: Any
    description: str | None
    cli_help: str | None
    constraints: Mapping[str, Any]
    repeated: bool
    field: str  # the SearchQuery attribute it sets
    switch: Switch | None = None

    @property
    def help(self) -> str | None:
        return self.cli_help or self.description


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:].rstrip(".") + "."


def _url_type(annotation: Any) -> tuple[Any, str | None]:
    """The type a query string carries for ``annotation``, and a pattern it must match."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _url_type(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        plain, pattern = _url_type(inner[0])
        return plain | None, pattern
    if origin is list:
        plain, pattern = _url_type(get_args(annotation)[0])
        return list[plain], pattern
    if annotation is ObjectId:
        return str, OBJECT_ID_PATTERN
    if isinstance(annotation, type) and issubclass(annotation, datetime):
        return datetime, None
    return annotation, None


def _constraints(metadata: Iterable[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            found["ge"] = item.ge
        elif isinstance(item, annotated_types.Le):
            found["le"] = item.le
        elif isinstance(item, annotated_types.MaxLen):
            found["max_length"] = item.max_length
    return found


@cache
def search_parameters() -> tuple[SearchParameter, ...]:
    """Every search parameter, in the model's field order; a field's switch follows it."""
    out: list[SearchParameter] = []
    for name, info in SearchQuery.model_fields.items():
        if info.exclude:  # resolved by the repository, never given by a caller
            continue
        spelled = next((m for m in info.metadata if isinstance(m, Spelled)), Spelled())
        alias = info.alias or name
        url = spelled.url or alias
        url_type, pattern = _url_type(info.annotation)
        constraints = _constraints(info.metadata)
        if pattern:
            constraints["pattern"] = pattern
        default = info.get_default(call_default_factory=True)
        out.append(
            SearchParameter(
                name=name,
                alias=alias,
                url=url,
                cli=() if spelled.cli is None else spelled.cli or (f"--{_kebab(url)}",),
                url_type=spelled.url_type or url_type,
                default=default if spelled.url_default is None else spelled.url_default,
                description=info.description,
                cli_help=spelled.cli_help,
                constraints=constraints,
                repeated=get_origin(info.annotation) is list,
                field=name,
            )
        )
        if (switch := spelled.switch) is not None:
            out.append(
                SearchParameter(
                    name=switch.name,
                    alias=switch.url or switch.name,
                    url=switch.url,
                    cli=(switch.cli,) if switch.cli else (),
                    url_type=bool,
                    default=False,
                    description=switch.description,
                    cli_help=_sentence(switch.description),
                    constraints={},
                    repeated=False,
                    field=name,
                    switch=switch,
                )
            )
    return tuple(out)


@cache
def _by_name() -> dict[str, SearchParameter]:
    return {p.name: p for p in search_parameters()}


def search_parameter(name: str) -> SearchParameter:
    """One parameter by its name (a SearchQuery attribute, or a switch's name)."""
    return _by_name()[name]


@cache
def url_names() -> frozenset[str]:
    """The query-string names of a search (``GET /api/data``, the library URL)."""
    return frozenset(p.url for p in search_parameters() if p.url)


def url_name_of(field: str) -> str:
    """The query-string name of a SearchQuery attribute (or alias): ``tags`` -> ``tag``."""
    for p in search_parameters():
        if p.switch is None and field in (p.name, p.alias):
            return p.url or p.alias
    return field


def search_query_from(values: Mapping[str, Any]) -> SearchQuery:
    """The query from parameter values keyed by :attr:`SearchParameter.name`.

    Absent names keep the model's defaults; a switch that is on sets its field last.
    Raises pydantic's ``ValidationError`` (each surface words it its own way).
    """
    fields: dict[str, Any] = {}
    switched: dict[str, Any] = {}
    for p in search_parameters():
        if p.name not in values:
            continue
        if p.switch is not None:
            if values[p.name]:
                switched[p.field] = p.switch.value
        else:
            fields[p.name] = values[p.name]
    return SearchQuery(**(fields | switched))


def query_values_from_url(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Parameter values from query-string pairs: repeated names gather into lists, the
    last value of any other wins, a switch is on when it says ``true``; unknown names
    are not search parameters and are left to the caller."""
    by_url = {p.url: p for p in search_parameters() if p.url}
    values: dict[str, Any] = {}
    for key, value in items:
        p = by_url.get(key)
        if p is None:
            continue
        if p.repeated:
            values.setdefault(p.name, []).append(value)
        elif p.switch is not None:
            values[p.name] = value.strip().lower() == "true"
        else:
            values[p.name] = value
    return values
