"""Product listing against the local MAST server: default filtering (SCIENCE, association
files kept, previews and AUXILIARY off), levels, suffixes, minimum recommended products,
de-duplication by dataURI, batched requests, recorded MAST rows, and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jwstdata.errors import NotFoundError
from jwstdata.mast import MastClient, MastProducts, MastSearch, ProductFilter, filter_products
from jwstdata.mast.models import ProductRow
from jwstdata.mast.products import PRODUCTS, association_level
from jwstdata.models.enums import ProcessingLevel
from jwstdata.naming import parse_name
from tests.mast_server import MastTestServer

NIRCAM_L3 = "jw02733-o001_t001_nircam_clear-f444w"
NIRCAM_L3_OBSID = "87602795"
NIRCAM_EXPOSURE_OBSID = "87600101"  # jw02733001001_02101_00001_nrcalong
MIRI_L3_OBSID = "87602812"
EXCLUSIVE_L3_OBSID = "201000003"
HST_OBSID = "2003738726"  # astroquery's recorded products.json


@pytest.fixture
def products(mast_client: MastClient) -> MastProducts:
    return MastProducts(mast_client, search=MastSearch(mast_client, cache_ttl=0))


def names(rows: list[ProductRow]) -> list[str]:
    return [r.product_filename for r in rows]


def suffixes(rows: list[ProductRow]) -> set[str | None]:
    return {parse_name(r.product_filename).suffix for r in rows}


def test_default_keeps_science_and_association_files(products: MastProducts) -> None:
    everything = products.list([NIRCAM_L3_OBSID])
    kept = filter_products(everything)
    assert len(everything) == 41
    assert len(kept) == 28  # 4 exposures x (uncal rate cal i2d crf) + 5 asn + i2d cat segm
    assert suffixes(kept) == {"uncal", "rate", "cal", "i2d", "crf", "asn", "cat", "segm"}
    asn = [r for r in kept if r.is_association]
    assert len(asn) == 5 and {r.product_type for r in asn} == {"INFO"}  # as MAST lists them
    assert {r.product_sub_group_description for r in asn} == {"ASN"}
    assert not any(r.product_type in ("PREVIEW", "AUXILIARY") for r in kept)
    assert not any(n.endswith((".jpg", "_pool.csv")) or "_gs-" in n for n in names(kept))


def test_previews_auxiliary_and_asn_switches(products: MastProducts) -> None:
    rows = products.list([NIRCAM_L3_OBSID])
    with_extras = filter_products(
        rows, ProductFilter(include_previews=True, include_auxiliary=True)
    )
    assert len(with_extras) == 28 + 10 + 2  # previews (4 x 2 + 2), guide-star files
    assert any("_gs-fg_" in n for n in names(with_extras))
    no_asn = filter_products(rows, ProductFilter(include_asn=False))
    assert len(no_asn) == 23 and not any(r.is_association for r in no_asn)
    info = filter_products(rows, ProductFilter(product_types=["INFO"], include_asn=False))
    assert names(info) == ["jw02733_20220713t204227_pool.csv"]


def test_filter_by_level_uses_the_file_name(products: MastProducts) -> None:
    rows = products.list([NIRCAM_L3_OBSID])
    l3 = filter_products(rows, ProductFilter(levels=[ProcessingLevel.L3]))
    assert names(l3) == [
        "jw02733-o001_20220713t004107_image3_00001_asn.json",
        f"{NIRCAM_L3}_i2d.fits",
        f"{NIRCAM_L3}_cat.ecsv",
        f"{NIRCAM_L3}_segm.fits",
    ]
    l1 = filter_products(rows, ProductFilter(levels=["L1"]))
    assert suffixes(l1) == {"uncal"} and len(l1) == 4
    l2b = filter_products(rows, ProductFilter(levels=["L2b"], include_asn=False))
    assert suffixes(l2b) == {"cal", "i2d", "crf"}  # exposure-named i2d is L2b, not L3
    assert all(parse_name(n).kind.value == "exposure" for n in names(l2b))


def test_filter_by_suffix_and_minimum_recommended(products: MastProducts) -> None:
    rows = products.list([NIRCAM_L3_OBSID])
    cal = filter_products(rows, ProductFilter(suffixes=["cal"], include_asn=False))
    assert len(cal) == 4 and all(n.endswith("_cal.fits") for n in names(cal))  # never calints
    mrp = filter_products(rows, ProductFilter(min_recommended=True, include_asn=False))
    assert suffixes(mrp) == {"cal", "i2d", "cat", "segm"} and len(mrp) == 7
    assert all(r.is_minimum_recommended for r in mrp)


def test_association_levels() -> None:
    stage2 = parse_name("jw02733-o001_20220713t004107_image2_00001_asn.json")
    stage3 = parse_name("jw04498-o003_20250301t101500_spec3_00001_asn.json")
    assert association_level(stage2) is ProcessingLevel.L2b
    assert association_level(stage3) is ProcessingLevel.L3


def test_listing_several_observations_dedupes_by_data_uri(
    mast_server: MastTestServer, products: MastProducts
) -> None:
    rows = products.list([NIRCAM_L3_OBSID, NIRCAM_EXPOSURE_OBSID, MIRI_L3_OBSID])
    uris = [r.data_uri for r in rows]
    assert len(uris) == len(set(uris))
    answered = mast_server.invoke(
        {"service": PRODUCTS, "params": {"obsid": f"{NIRCAM_L3_OBSID},{NIRCAM_EXPOSURE_OBSID},"
                                                  f"{MIRI_L3_OBSID}"}}
    )["data"]  # fmt: skip
    assert len(answered) > len(rows)  # the exposure's files and the shared pool came twice
    assert "mast:JWST/product/jw02733_20220713t204227_pool.csv" in uris


def test_requests_are_batched(mast_server: MastTestServer, mast_client: MastClient) -> None:
    ids = [NIRCAM_L3_OBSID, MIRI_L3_OBSID, EXCLUSIVE_L3_OBSID]
    batched = MastProducts(mast_client, batch_size=2, concurrency=2)
    rows = batched.list(ids)
    requests = [r.request for r in mast_server.requests if r.service == PRODUCTS]
    assert sorted(r["params"]["obsid"] for r in requests) == [
        EXCLUSIVE_L3_OBSID,
        f"{NIRCAM_L3_OBSID},{MIRI_L3_OBSID}",
    ]
    one_at_a_time = MastProducts(mast_client, batch_size=1, concurrency=1).list(ids)
    assert [r.data_uri for r in one_at_a_time] == [r.data_uri for r in rows]  # order kept


def test_observation_ids_are_looked_up(products: MastProducts) -> None:
    assert products.resolve_obsids([NIRCAM_L3, MIRI_L3_OBSID]) == [MIRI_L3_OBSID, NIRCAM_L3_OBSID]
    rows = products.for_observations([NIRCAM_L3], ProductFilter(levels=["L3"]))
    assert len(rows) == 4
    with pytest.raises(NotFoundError, match="no JWST observation with obs_id jw09999-o001"):
        products.resolve_obsids(["jw09999-o001"])


def test_exclusive_products_and_public_only(products: MastProducts) -> None:
    rows = products.list([EXCLUSIVE_L3_OBSID])
    assert rows and all(r.is_exclusive for r in rows)
    assert filter_products(rows, ProductFilter(public_only=True)) == []
    x1d = filter_products(rows, ProductFilter(suffixes=["x1d"], include_asn=False))
    assert [parse_name(n).processing_level.value for n in names(x1d)] == ["L2b", "L3"]


def test_listing_reports_the_served_file_sizes(
    mast_server: MastTestServer, products: MastProducts
) -> None:
    for row in filter_products(products.list([MIRI_L3_OBSID]), ProductFilter(levels=["L3"])):
        assert row.size == len(mast_server.file_bytes(row.data_uri) or b"")


def test_recorded_mast_product_rows(products: MastProducts) -> None:
    rows = products.list([HST_OBSID])
    assert len(rows) == 22 and all(r.obsid == HST_OBSID for r in rows)
    science = filter_products(rows, ProductFilter(include_asn=False))
    assert len(science) == 7
    recommended = filter_products(rows, ProductFilter(min_recommended=True))
    assert names(recommended) == ["u9o40504m_c0f.fits", "u9o40504m_c1f.fits", "u9o40504m_drz.fits"]
    assert "_selected_" not in rows[0].to_row() and rows[0].to_row()["project"] == "HST"


def test_cli_products_json(mast_server: MastTestServer, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
    env.update(JWSTDATA_MAST_URL=mast_server.url, JWSTDATA_HOME=str(tmp_path / "home"))
    result = subprocess.run(
        [sys.executable, "-m", "jwstdata", "mast", "products", NIRCAM_L3, "--level", "L3",
         "--json"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["count"] == 4
    first = payload["items"][0]
    assert first["productType"] == "INFO" and first["productSubGroupDescription"] == "ASN"
    assert {i["productFilename"] for i in payload["items"][1:]} == {
        f"{NIRCAM_L3}_i2d.fits", f"{NIRCAM_L3}_cat.ecsv", f"{NIRCAM_L3}_segm.fits"
    }  # fmt: skip
    assert all(i["dataURI"].startswith("mast:JWST/product/") for i in payload["items"])
