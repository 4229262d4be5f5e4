"""One search declaration, four surfaces, one facet answer.

Every field of ``SearchQuery`` must be reachable from the API's query string, the CLI's
options, the library page's URL and the client's keywords: each surface is given every
parameter (a value unlike the default) and must produce a query in which every field
changed. Then the API and the library page are asked the same facet questions and must
give the same counts.
"""

from __future__ import annotations

import inspect
import re
from enum import Enum
from typing import Any, get_args, get_origin

import pytest
import typer
from fastapi import Depends, FastAPI
from starlette.datastructures import QueryParams
from typer.main import get_command

from jwstdata.api.params import search_query
from jwstdata.cli.search import search as cli_search
from jwstdata.client import check_filters, search_filters
from jwstdata.models.search import SearchQuery
from jwstdata.models.search_params import (
    PAGING,
    SearchParameter,
    search_parameters,
    search_query_from,
)
from jwstdata.web.search_form import FACET_PARAMS, parse_search
from tests.factories import make_record
from tests.plugins.api_server import ApiServer
from tests.test_facets import _seed

FIELDS = {name for name, info in SearchQuery.model_fields.items() if not info.exclude}
PARAMETERS = [p for p in search_parameters() if p.switch is None]
SWITCHES = [p for p in search_parameters() if p.switch is not None]


def _sample(p: SearchParameter) -> str:
    """A text value of ``p`` that is not its default."""
    kind = p.url_type
    inner = get_args(kind)[0] if get_origin(kind) is list else kind
    inner = next((a for a in get_args(inner) if a is not type(None)), inner)
    if isinstance(inner, type) and issubclass(inner, Enum):
        return next(m.value for m in reversed(list(inner)) if m != p.default)
    if "pattern" in p.constraints:
        return "0123456789abcdef01234567"
    if inner is bool:
        return "false" if p.default is True else "true"
    if inner is int:
        return "7"
    if inner is float:
        return "1.5"
    if getattr(inner, "__name__", "") == "datetime":
        return "2024-01-02T03:04:05Z"
    return "x1"


def _changed(query: SearchQuery) -> set[str]:
    defaults = SearchQuery()
    return {name for name in FIELDS if getattr(query, name) != getattr(defaults, name)}


def _url_items() -> list[tuple[str, str]]:
    return [(p.url, _sample(p)) for p in PARAMETERS if p.url]


def test_the_model_declares_every_parameter_once() -> None:
    assert {p.field for p in search_parameters()} == FIELDS
    names = [p.name for p in search_parameters()]
    assert len(names) == len(set(names))
    urls = [p.url for p in search_parameters() if p.url]
    assert len(urls) == len(set(urls))


# An in-process app is enough to read the dependency's query (no database behind it).
@pytest.mark.filterwarnings("ignore:Using .httpx. with .starlette.testclient.")
def test_the_api_takes_every_field() -> None:
    from fastapi.testclient import TestClient

    app = FastAPI()

    @app.get("/probe")
    def probe(query: SearchQuery = Depends(search_query)) -> dict[str, Any]:
        return {"changed": sorted(_changed(query))}

    with TestClient(app) as http:
        answer = http.get("/probe", params=_url_items())
        assert answer.status_code == 200, answer.text
        assert set(answer.json()["changed"]) == FIELDS
        switched = http.get("/probe", params={"includeArchived": "true"}).json()
        assert switched["changed"] == ["is_archived"]
    documented = app.openapi()["paths"]["/probe"]["get"]["parameters"]
    by_name = {d["name"]: d for d in documented}
    assert set(by_name) == {p.url for p in search_parameters() if p.url}
    for p in search_parameters():
        if p.url and p.description:
            assert by_name[p.url]["description"] == p.description


def test_the_library_url_takes_every_field() -> None:
    search = parse_search(QueryParams(_url_items()), user_id=None)
    assert search.error is None
    assert _changed(search.query) == FIELDS
    assert set(FACET_PARAMS.values()) <= {p.url for p in search_parameters()}
    archived = parse_search(QueryParams([("includeArchived", "true")]), user_id=None)
    assert archived.query.is_archived is None


def test_the_library_form_keeps_its_two_conveniences() -> None:
    """A comma list in the tag box; a bare date in a ``To`` box means the end of that day
    (in the query only: the URL keeps what was typed)."""
    search = parse_search(
        QueryParams([("tag", "a, b"), ("observationDateTo", "2024-01-02")]), user_id=None
    )
    assert search.query.tags == ["a", "b"]
    assert search.query.observation_date_to.isoformat().startswith("2024-01-02T23:59:59.999")
    assert search.value("observationDateTo") == "2024-01-02"
    bad = parse_search(QueryParams([("q", "x" * 300), ("derived", "maybe")]), user_id=None)
    assert bad.error is not None and "q:" in bad.error and "derived" in bad.error


def test_the_client_takes_every_field() -> None:
    expected = {p.url for p in search_parameters() if p.url} - PAGING
    assert search_filters() == expected
    check_filters(dict.fromkeys(expected, "x"))  # no unknown name among them


def test_the_cli_takes_every_field() -> None:
    # The command's parameters are the model's, by name, with the model's option names.
    options = {
        name: param.default
        for name, param in inspect.signature(cli_search).parameters.items()
        if isinstance(param.default, typer.models.OptionInfo)
    }
    for p in search_parameters():
        if p.cli:
            assert p.name in options, f"no --option for {p.name}"
            assert tuple(options[p.name].param_decls) == p.cli
    reachable = {p.field for p in search_parameters() if p.cli}
    assert reachable == FIELDS
    app = typer.Typer()
    app.command()(cli_search)
    command = get_command(app)
    flags = {param.name for param in command.params if getattr(param, "is_flag", False)}
    args: list[str] = []
    for p in PARAMETERS:
        if p.cli:
            args += [p.cli[0].split("/")[0]] if p.name in flags else [p.cli[0], _sample(p)]
    args += ["--any-tag"]
    context = command.make_context("search", args)
    assert _changed(search_query_from(context.params)) == FIELDS
    both = command.make_context("search", ["--include-archived"])
    assert search_query_from(both.params).is_archived is None


# --- one facet answer ---------------------------------------------------------------------
QUESTIONS = [
    {},
    {"program": "2733"},
    {"program": "2733", "detector": "NRCA1"},
    {"q": "m16"},
    {"tag": "deep"},
    {"target": "M16", "exposureType": "MIR_IMAGE"},
    {"derived": "any", "instrument": "NIRCAM"},
    {"ra": "10", "dec": "20", "radius": "0.5"},
    {"ra": "10", "dec": "20", "radius": "0.5", "instrument": "MIRI"},
]
_FIELDSET = re.compile(r'<fieldset class="facet" data-facet="(\w+)">(.*?)</fieldset>', re.S)
_OPTION = re.compile(r'value="([^"]*)"[^>]*>.*?<span class="count"[^>]*>≈?(\d+)</span>', re.S)


def _page_facets(html: str) -> dict[str, dict[str, int]]:
    return {
        param: {value: int(count) for value, count in _OPTION.findall(body) if int(count)}
        for param, body in _FIELDSET.findall(html)
    }


@pytest.fixture(scope="module")
def seeded(api_server: ApiServer) -> ApiServer:
    _seed(api_server.repo)
    for instrument, ra in (("MIRI", 10.0), ("NIRCAM", 10.1), ("NIRCAM", 40.0)):
        api_server.repo.create(
            make_record(
                isPublic=True,
                imageInfo={"instrument": instrument},
                metadata={"s_region": f"CIRCLE {ra} 20 0.01"},
            )
        )
    return api_server


@pytest.mark.parametrize("question", QUESTIONS)
def test_api_and_library_page_give_the_same_facet_counts(
    seeded: ApiServer, question: dict[str, str]
) -> None:
    with seeded.client() as http:
        api = http.get("/api/data/facets", params=question)
        page = http.get("/library", params=question)
    assert api.status_code == 200 and page.status_code == 200, (api.text, page.text)
    shown = _page_facets(page.text)
    assert set(shown) == set(FACET_PARAMS.values())
    for facet, param in FACET_PARAMS.items():
        rows = api.json()[facet.value]
        counted = {r["value"]: r["count"] for r in rows if r["value"] is not None}
        assert shown[param] == counted, (question, facet)
    # a filtered facet still lists its alternatives, everywhere
    if question == {"program": "2733"}:
        programs = {r["value"] for r in api.json()["program"]}
        assert {"2733", "1324"} <= programs
    if "ra" in question:
        assert shown["instrument"] == {"MIRI": 1, "NIRCAM": 1}  # the cone's, not the third
