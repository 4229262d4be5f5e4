"""Keyset pagination: every record exactly once, in order, while others are inserted."""

from __future__ import annotations

import random

import pytest
from bson import ObjectId

from jwstdata.db import RecordRepository
from jwstdata.errors import ValidationError
from jwstdata.models import AccessContext
from jwstdata.models.search import SearchQuery, SortField, SortOrder
from tests.factories import make_record

ADMIN = AccessContext.admin()


@pytest.fixture
def seeded(repo: RecordRepository) -> list[ObjectId]:
    rng = random.Random(7)
    records = []
    for i in range(120):
        info = {"targetName": "M16", "instrument": "NIRCAM"}
        if i % 5:  # every fifth record has no observation date (nulls sort lowest)
            info["observationDate"] = f"2023-0{1 + i % 9}-1{i % 10}T00:00:00Z"
        records.append(
            make_record(
                fileSize=rng.choice([10, 20, 30, None]),  # many ties: the _id tie-breaker matters
                fileName=f"file_{rng.randint(0, 40):03d}.fits",
                imageInfo=info,
                isPublic=True,
            )
        )
    report = repo.bulk_insert(records)
    assert not report.failed
    return report.inserted_ids


def _sort_value(record, sort: SortField):
    return {
        SortField.upload_date: record.upload_date,
        SortField.observation_date: record.image_info.observation_date
        if record.image_info
        else None,
        SortField.file_name: record.file_name,
        SortField.file_size: record.file_size,
    }[sort]


@pytest.mark.parametrize("sort", list(SortField))
@pytest.mark.parametrize("order", list(SortOrder))
def test_pages_neither_skip_nor_repeat_while_records_are_inserted(
    repo: RecordRepository, seeded: list[ObjectId], sort: SortField, order: SortOrder
) -> None:
    query = SearchQuery(sort=sort, order=order, limit=17)
    seen: list = []
    while True:
        page = repo.search(query, ADMIN)
        seen.extend(page.items)
        # Someone else keeps inserting while we page.
        repo.create(
            make_record(fileSize=20, fileName="file_020.fits", imageInfo={"instrument": "MIRI"})
        )
        if page.next_cursor is None:
            break
        query = query.model_copy(update={"cursor": page.next_cursor})
    ids = [r.id for r in seen]
    assert len(ids) == len(set(ids)), "a record was returned twice"
    assert set(seeded) <= set(ids), "a record that existed before paging began was skipped"
    # Order holds across page boundaries (None lowest, _id breaks ties).
    keys = [(_sort_value(r, sort) is not None, _sort_value(r, sort), r.id) for r in seen]
    keys = [(present, value if present else 0, oid) for present, value, oid in keys]
    assert keys == sorted(keys, reverse=order is SortOrder.desc)


def test_cursor_from_another_search_is_rejected(repo: RecordRepository, seeded) -> None:
    page = repo.search(SearchQuery(limit=5), ADMIN)
    with pytest.raises(ValidationError, match="different search"):
        repo.search(SearchQuery(limit=5, instrument=["MIRI"], cursor=page.next_cursor), ADMIN)
    with pytest.raises(ValidationError, match="different search"):
        repo.search(SearchQuery(limit=5, cursor=page.next_cursor), AccessContext.anonymous())


def test_garbage_cursor_is_a_validation_error(repo: RecordRepository) -> None:
    with pytest.raises(ValidationError, match="cursor"):
        repo.search(SearchQuery(cursor="not-a-cursor"), ADMIN)


def test_iterate_walks_every_page(repo: RecordRepository, seeded) -> None:
    ids = [r.id for r in repo.iterate(SearchQuery(limit=25), ADMIN)]
    assert sorted(ids) == sorted(seeded)
