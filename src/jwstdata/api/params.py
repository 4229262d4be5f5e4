"""Typed query parameters for searches: no caller-supplied MongoDB operators, ever.

The search's parameters are not listed here: :func:`search_query` is a FastAPI dependency
whose signature is built from the model's fields (names, types, constraints and
descriptions, see :mod:`jwstdata.models.search_params`), so ``/openapi.json`` documents
each one and a field added to the model is a parameter of every search route.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator
from pydantic import ValidationError as PydanticValidationError

from jwstdata.errors import pydantic_to_validation_error
from jwstdata.models.search import SearchQuery
from jwstdata.models.search_params import search_parameters, search_query_from


def _form_bool(value: object) -> bool:
    """Only "true" or "false" (any case): a form flag is never guessed from "yes" or "1"."""
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in ("true", "false"):
        raise ValueError("must be true or false")
    return text == "true"


FormBool = Annotated[bool, BeforeValidator(_form_bool)]


def _query_signature() -> inspect.Signature:
    parameters = []
    for p in search_parameters():
        if p.url is None:
            continue
        query = Query(
            alias=p.url if p.url != p.name else None, description=p.description, **p.constraints
        )
        parameters.append(
            inspect.Parameter(
                p.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[p.url_type, query],
                default=p.default,
            )
        )
    return inspect.Signature(parameters, return_annotation=SearchQuery)


def search_query(**values: Any) -> SearchQuery:
    """The search a request's query string asks for (a 422 when it is not one)."""
    try:
        return search_query_from(values)
    except PydanticValidationError as exc:
        raise pydantic_to_validation_error(exc) from None


search_query.__signature__ = _query_signature()  # type: ignore[attr-defined]
