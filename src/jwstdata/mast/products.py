"""The product files of MAST observations: listing (batched), filtering, de-duplication.

``Mast.Caom.Products`` takes product-group ids (the ``obsid`` column, a number) joined by
commas; a JWST stage-3 observation lists its own products *and* every member exposure's, so
big programs are asked for in batches of ``batch_size`` ids (one request for a whole large
program times out at MAST), several batches at a time, and the union is de-duplicated by
``dataURI`` (the same ``_cal.fits`` is listed under the stage-3 observation and under its
exposure). Observation ids like ``jw02733-o001_t001_nircam_clear-f090w`` are looked up to their
``obsid`` first.

What :class:`ProductFilter` keeps by default, and why:

- ``productType`` **SCIENCE** only. MAST's other types are ``AUXILIARY`` (guide-star
  ``gs-*`` files and other engineering products, many and rarely wanted), ``PREVIEW`` (``.jpg``
  renderings, also recognised by name) and ``INFO`` (pools, and the association files).
- **Association files are kept.** MAST lists ``_asn.json`` files with ``productType`` *INFO*
  and ``productSubGroupDescription`` *ASN* (seen in real JWST listings; astroquery users have
  asked why they are not SCIENCE, since re-running the pipeline needs them). They are
  recognised by name (``jwstdata.naming``), whatever their type, and kept unless
  ``include_asn=False``. They follow the level filter by the stage they drive (``image2``,
  ``spec2``... -> L2b; ``image3``, ``spec3``... -> L3) and are not dropped by the suffix or
  minimum-recommended filters, because the products they list need them.
- ``levels``: the level ``jwstdata.naming.parse_name`` gives the file name (L1, L2a, L2b, L3);
  ``suffixes``: the name's last token (``cal``, ``i2d``...), never a substring test.
- ``min_recommended``: ``productGroupDescription`` is "Minimum Recommended Products".
- ``public_only``: ``dataRights`` PUBLIC (rows without the column are dropped).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import ValidationError as PydanticValidationError

from jwstdata.errors import MastError, NotFoundError
from jwstdata.mast.client import MastApi, iter_chunks
from jwstdata.mast.models import PUBLIC, ProductRow
from jwstdata.mast.search import MastSearch, ObservationQuery
from jwstdata.models.enums import ProcessingLevel
from jwstdata.naming import NameKind, ParsedName

PRODUCTS = "Mast.Caom.Products"


def association_level(parsed: ParsedName) -> ProcessingLevel:
    """The level an association drives: ``image2`` -> L2b, ``image3`` -> L3, else unknown."""
    asn_type = (parsed.asn_type or "").lower()
    if asn_type.endswith("2"):
        return ProcessingLevel.L2b
    if asn_type.endswith("3"):
        return ProcessingLevel.L3
    return ProcessingLevel.unknown


class ProductFilter(BaseModel):
    """Which product rows to keep (see the module docstring for the defaults)."""

    model_config = ConfigDict(frozen=True)

    product_types: tuple[str, ...] = ("SCIENCE",)
    include_asn: bool = True
    include_auxiliary: bool = False
    include_previews: bool = False
    levels: tuple[ProcessingLevel, ...] = ()
    suffixes: tuple[str, ...] = ()
    min_recommended: bool = False
    public_only: bool = False

    @field_validator("product_types", "suffixes", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        return tuple(str(v).strip() for v in value or () if str(v).strip())

    @field_validator("levels", mode="before")
    @classmethod
    def _levels(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @property
    def accepted_types(self) -> frozenset[str]:
        types = {t.upper() for t in self.product_types}
        if self.include_auxiliary:
            types.add("AUXILIARY")
        if self.include_previews:
            types.add("PREVIEW")
        return frozenset(types)

    def accepts(self, row: ProductRow) -> bool:
        parsed = row.parsed
        if self.public_only and (row.data_rights or "").upper() != PUBLIC:
            return False
        if parsed.kind is NameKind.association:
            if not self.include_asn:
                return False
            level = association_level(parsed)
            return not self.levels or level is ProcessingLevel.unknown or level in self.levels
        if row.is_preview and not self.include_previews:
            return False
        if (row.product_type or "").upper() not in self.accepted_types:
            return False
        if self.levels and parsed.processing_level not in self.levels:
            return False
        if self.suffixes and (parsed.suffix or "") not in {s.lower() for s in self.suffixes}:
            return False
        return not (self.min_recommended and not row.is_minimum_recommended)


def dedupe_products(rows: Iterable[ProductRow]) -> list[ProductRow]:
    """The first row of each ``dataURI``, in order."""
    seen: set[str] = set()
    out: list[ProductRow] = []
    for row in rows:
        if row.data_uri not in seen:
            seen.add(row.data_uri)
            out.append(row)
    return out


def filter_products(
    rows: Iterable[ProductRow], spec: ProductFilter | None = None
) -> list[ProductRow]:
    """De-duplicated rows that ``spec`` (default: :class:`ProductFilter`) accepts."""
    spec = spec or ProductFilter()
    return [row for row in dedupe_products(rows) if spec.accepts(row)]


def _product(row: dict[str, Any]) -> ProductRow:
    try:
        return ProductRow.model_validate(row)
    except PydanticValidationError as exc:
        raise MastError(f"MAST sent a product row that cannot be read: {exc}") from None


class MastProducts:
    """Product listing over one MAST connection."""

    def __init__(
        self,
        api: MastApi,
        *,
        search: MastSearch | None = None,
        batch_size: int = 20,
        concurrency: int = 4,
    ) -> None:
        self.api = api
        self.search = search or MastSearch(api, cache_ttl=0)
        self.batch_size = max(batch_size, 1)
        self.concurrency = max(concurrency, 1)

    def list(self, obsids: Sequence[str | int]) -> list[ProductRow]:
        """Every product of the product groups ``obsids``, de-duplicated by ``dataURI``."""
        ids = list(dict.fromkeys(str(o).strip() for o in obsids if str(o).strip()))
        if not ids:
            return []
        batches = list(iter_chunks(ids, self.batch_size))

        def fetch(batch: list[str]) -> list[dict[str, Any]]:
            return self.api.invoke(PRODUCTS, {"obsid": ",".join(batch)})

        if len(batches) == 1 or self.concurrency == 1:
            answers = [fetch(b) for b in batches]
        else:
            with ThreadPoolExecutor(min(self.concurrency, len(batches))) as pool:
                answers = list(pool.map(fetch, batches))
        return dedupe_products(_product(r) for answer in answers for r in answer)

    def resolve_obsids(self, ids: Sequence[str], *, collection: str = "JWST") -> list[str]:
        """Product-group ids for ``ids``: numbers pass through, observation ids are looked up."""
        numeric = [i for i in ids if i.strip().isdigit()]
        named = [i.strip() for i in ids if not i.strip().isdigit()]
        out = [i.strip() for i in numeric]
        if named:
            rows = self.search.observations(
                ObservationQuery(obs_ids=tuple(named), collection=collection)
            )
            found = {r.obs_id.lower(): r.obsid for r in rows if r.obsid}
            exact = [n for n in named if "*" not in n and "%" not in n]
            missing = [n for n in exact if n.lower() not in found]
            if missing:
                raise NotFoundError(
                    f"no {collection} observation with obs_id {', '.join(missing)}",
                    details={"missing": missing},
                )
            out.extend(v for v in found.values() if v is not None)
        return list(dict.fromkeys(out))

    def for_observations(
        self, ids: Sequence[str], spec: ProductFilter | None = None, *, collection: str = "JWST"
    ) -> list[ProductRow]:
        """The filtered products of observations given by obs_id or obsid."""
        return filter_products(self.list(self.resolve_obsids(ids, collection=collection)), spec)
