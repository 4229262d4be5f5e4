"""The MAST archive: a client with timeouts, retries and resumable downloads; observation
search; product listing and filtering.

>>> from jwstdata.mast import MastClient, MastSearch, MastProducts, ObservationQuery
>>> with MastClient("https://mast.stsci.edu") as client:  # doctest: +SKIP
...     rows = MastSearch(client).observations(ObservationQuery(target="NGC 3132", radius=0.05))
...     products = MastProducts(client).for_observations([rows[0].obs_id])

:func:`open_mast` builds all three from the settings (``JWSTDATA_MAST_*``).
"""

from __future__ import annotations

from dataclasses import dataclass

from jwstdata.config import Settings
from jwstdata.mast.client import MastApi, MastClient, RetryPolicy, resolve_mast_token
from jwstdata.mast.models import ObservationRow, ProductRow
from jwstdata.mast.products import MastProducts, ProductFilter, dedupe_products, filter_products
from jwstdata.mast.search import MastSearch, ObservationQuery, ResolvedTarget, TTLCache


@dataclass
class Mast:
    """A client with its search and product services, sharing one connection pool."""

    client: MastClient
    search: MastSearch
    products: MastProducts

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Mast:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_mast(settings: Settings, **client_overrides: object) -> Mast:
    client = MastClient.from_settings(settings, **client_overrides)
    search = MastSearch(client, cache_ttl=settings.mast_cache_ttl)
    products = MastProducts(
        client,
        search=search,
        batch_size=settings.mast_batch_size,
        concurrency=settings.mast_concurrency,
    )
    return Mast(client, search, products)


__all__ = [
    "Mast",
    "MastApi",
    "MastClient",
    "MastProducts",
    "MastSearch",
    "ObservationQuery",
    "ObservationRow",
    "ProductFilter",
    "ProductRow",
    "ResolvedTarget",
    "RetryPolicy",
    "TTLCache",
    "dedupe_products",
    "filter_products",
    "open_mast",
    "resolve_mast_token",
]
