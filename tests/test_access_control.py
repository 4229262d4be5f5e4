"""The access-control matrix: who sees which record through get, search, count and facets.

Callers: anonymous, the owner, another user, a user the record is shared with, an admin.
Records: public, private, private-shared. Visibility is a clause of every query.
"""

from __future__ import annotations

import pytest
from bson import ObjectId

from jwstdata.db import RecordRepository
from jwstdata.errors import NotFoundError
from jwstdata.models import AccessContext
from jwstdata.models.search import SearchQuery
from tests.factories import make_record

OWNER, OTHER, FRIEND = ObjectId(), ObjectId(), ObjectId()
CALLERS = {
    "anonymous": AccessContext.anonymous(),
    "owner": AccessContext.user(OWNER),
    "other": AccessContext.user(OTHER),
    "friend": AccessContext.user(FRIEND),
    "admin": AccessContext.admin(ObjectId()),
}
# record kind -> set of callers who may see it
VISIBLE = {
    "public": {"anonymous", "owner", "other", "friend", "admin"},
    "private": {"owner", "admin"},
    "shared": {"owner", "friend", "admin"},
}


@pytest.fixture
def records(repo: RecordRepository) -> dict[str, ObjectId]:
    made = {
        "public": repo.create(
            make_record(userId=OWNER, isPublic=True, imageInfo={"instrument": "MIRI"})
        ),
        "private": repo.create(
            make_record(userId=OWNER, isPublic=False, imageInfo={"instrument": "NIRCAM"})
        ),
        "shared": repo.create(
            make_record(
                userId=OWNER,
                isPublic=False,
                sharedWith=[FRIEND],
                imageInfo={"instrument": "NIRSPEC"},
            )
        ),
    }
    return {kind: record.id for kind, record in made.items()}


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("kind", list(VISIBLE))
def test_get(repo: RecordRepository, records: dict, caller: str, kind: str) -> None:
    if caller in VISIBLE[kind]:
        assert repo.get(records[kind], CALLERS[caller]).id == records[kind]
    else:
        with pytest.raises(NotFoundError):
            repo.get(records[kind], CALLERS[caller])


@pytest.mark.parametrize("caller", list(CALLERS))
def test_search_count_and_facets_agree_with_visibility(
    repo: RecordRepository, records: dict, caller: str
) -> None:
    ctx = CALLERS[caller]
    expected = {records[k] for k, who in VISIBLE.items() if caller in who}
    page = repo.search(SearchQuery(limit=100), ctx, with_total=True)
    assert {r.id for r in page.items} == expected
    assert page.total == len(expected)
    assert repo.count(SearchQuery(), ctx) == len(expected)
    facets = repo.facets(SearchQuery(), ctx)
    assert sum(row["count"] for row in facets["dataType"]) == len(expected)
    instruments = {row["value"] for row in facets["instrument"]}
    expected_instruments = {"public": "MIRI", "private": "NIRCAM", "shared": "NIRSPEC"}
    assert instruments == {expected_instruments[k] for k, who in VISIBLE.items() if caller in who}


def test_filters_cannot_widen_visibility(repo: RecordRepository, records: dict) -> None:
    """Asking for someone's records, or private ones, still only returns what you may see."""
    other = CALLERS["other"]
    assert repo.search(SearchQuery(user_id=OWNER), other).items == [
        repo.get(records["public"], other)
    ]
    assert repo.search(SearchQuery(is_public=False), other).items == []
    assert repo.count(SearchQuery(is_public=False), CALLERS["anonymous"]) == 0
