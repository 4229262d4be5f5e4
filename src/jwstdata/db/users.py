"""The user repository: every query on ``users`` lives here.

User names and email addresses are unique regardless of case: the stored document keeps
the name as typed (``username``) next to its case-folded key (``usernameKey``), and the
unique indexes are on the keys. The password hash is stored as ``passwordHash`` and leaves
this module only through :meth:`UserRepository.find_credentials`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.collection import Collection

from jwstdata.db.auth_indexes import USER_INDEXES, USERS
from jwstdata.db.connection import DatabaseHandle, translate_errors
from jwstdata.db.hints import ID_INDEX, index_hint
from jwstdata.db.portable import find_one_and_update, name_duplicate
from jwstdata.db.setup import ensure_indexes
from jwstdata.errors import DuplicateError, NotFoundError
from jwstdata.models.base import utcnow
from jwstdata.models.user import USER_PROJECTION, User, email_key, username_key

if TYPE_CHECKING:
    from jwstdata.db.records import RecordRepository

BY_NAME = "username_unique"
# Stored key or index → the field a caller typed, for duplicate messages.
_KEY_FIELDS = {
    "usernameKey": "username",
    "username_unique": "username",
    "emailKey": "email",
    "email_unique": "email",
}


class UserRepository:
    def __init__(self, collection: Collection, redacted_uri: str = "") -> None:
        self.collection = collection
        self._uri = redacted_uri

    @classmethod
    def for_database(cls, handle: DatabaseHandle) -> UserRepository:
        return cls(handle.db[USERS], handle.redacted_uri)

    @classmethod
    def beside(cls, records: RecordRepository) -> UserRepository:
        """The users of the database ``records`` are stored in."""
        return cls(records.collection.database[USERS])

    def ensure_indexes(self) -> None:
        """Create the unique indexes now if ``jwstdata db init`` has not run yet.

        The first admin is usually created on a fresh database, before the server (which
        runs ``init_database``) has ever started; uniqueness must hold from that first user.
        """
        with translate_errors(self._uri):
            ensure_indexes(self.collection.database, [USERS]).raise_failures()

    # --- create -------------------------------------------------------------------------
    def create(
        self,
        username: str,
        password_hash: str,
        *,
        email: str | None = None,
        is_admin: bool = False,
        now: datetime | None = None,
    ) -> User:
        """Insert a user; a name or email already taken (in any case) is a DuplicateError."""
        now = now or utcnow()
        user = User(
            id=ObjectId(),
            username=username,
            email=email,
            is_admin=is_admin,
            created_at=now,
            updated_at=now,
        )
        doc: dict[str, Any] = {
            "_id": user.id,
            **user.model_dump(by_alias=True, exclude={"id", "email"}),
            "usernameKey": username_key(username),
            "passwordHash": password_hash,
        }
        if email is not None:  # absent, not null: the sparse unique index skips it
            doc["email"] = email
            doc["emailKey"] = email_key(email)
        try:
            with translate_errors(self._uri):
                self.collection.insert_one(doc)
        except DuplicateError as exc:
            with translate_errors(self._uri):
                exc = name_duplicate(exc, self.collection, doc, USER_INDEXES)
            raise _duplicate_user(exc, username, email) from None
        return user

    # --- read ---------------------------------------------------------------------------
    def find(self, user_id: ObjectId) -> User | None:
        with translate_errors(self._uri):
            doc = self.collection.find_one(
                {"_id": user_id}, USER_PROJECTION, hint=index_hint(self.collection, ID_INDEX)
            )
        return User.from_document(doc) if doc else None

    def get(self, user_id: ObjectId) -> User:
        user = self.find(user_id)
        if user is None:
            raise NotFoundError(f"user {user_id} not found")
        return user

    def find_by_username(self, username: str) -> User | None:
        with translate_errors(self._uri):
            doc = self.collection.find_one(
                {"usernameKey": username_key(username)},
                USER_PROJECTION,
                hint=index_hint(self.collection, BY_NAME),
            )
        return User.from_document(doc) if doc else None

    def get_by_username(self, username: str) -> User:
        user = self.find_by_username(username)
        if user is None:
            raise NotFoundError(f"unknown user {username!r}")
        return user

    def find_credentials(self, username: str) -> tuple[User, str | None] | None:
        """The user and its password hash, for checking a password (and nothing else)."""
        with translate_errors(self._uri):
            doc = self.collection.find_one(
                {"usernameKey": username_key(username)},
                {**USER_PROJECTION, "passwordHash": 1},
                hint=index_hint(self.collection, BY_NAME),
            )
        if doc is None:
            return None
        return User.from_document(doc), doc.get("passwordHash")

    def active_ids(self, name_keys: list[str]) -> dict[str, ObjectId]:
        """``usernameKey`` → id of the enabled accounts among ``name_keys``."""
        with translate_errors(self._uri):
            return {
                d["usernameKey"]: d["_id"]
                for d in self.collection.find(
                    {"usernameKey": {"$in": name_keys}}, {"usernameKey": 1, "isDisabled": 1}
                )
                if not d.get("isDisabled")
            }

    def list(self, *, limit: int = 1000, after: str | None = None) -> list[User]:
        """Users by name (case-insensitive order); ``after`` is the last name of a page."""
        query: dict[str, Any] = {}
        if after is not None:
            query["usernameKey"] = {"$gt": username_key(after)}
        with translate_errors(self._uri):
            cursor = (
                self.collection.find(query, USER_PROJECTION)
                .sort([("usernameKey", 1)])
                .hint(index_hint(self.collection, BY_NAME))
                .limit(limit)
            )
            return [User.from_document(doc) for doc in cursor]

    # --- update -------------------------------------------------------------------------
    def set_disabled(self, user_id: ObjectId, disabled: bool) -> User:
        return self._set(user_id, {"isDisabled": disabled})

    def set_admin(self, user_id: ObjectId, admin: bool) -> User:
        return self._set(user_id, {"isAdmin": admin})

    def set_password(self, user_id: ObjectId, password_hash: str) -> User:
        return self._set(user_id, {"passwordHash": password_hash})

    def record_login(self, user_id: ObjectId, when: datetime) -> User:
        return self._set(user_id, {"lastLoginAt": when}, touch=False)

    def _set(self, user_id: ObjectId, fields: dict[str, Any], *, touch: bool = True) -> User:
        update = {**fields, **({"updatedAt": utcnow()} if touch else {})}
        with translate_errors(self._uri):
            doc = find_one_and_update(
                self.collection,
                {"_id": user_id},
                {"$set": update},
                projection=USER_PROJECTION,
                hint=index_hint(self.collection, ID_INDEX),
                return_document=ReturnDocument.AFTER,
            )
        if doc is None:
            raise NotFoundError(f"user {user_id} not found")
        return User.from_document(doc)


def _duplicate_user(exc: DuplicateError, username: str, email: str | None) -> DuplicateError:
    stored = (exc.details or {}).get("fields") or []
    fields = [_KEY_FIELDS.get(name, name) for name in stored]
    if "email" in fields:
        return DuplicateError(
            f"email {email!r} is already used by another account", details={"fields": ["email"]}
        )
    if "username" in fields:
        return DuplicateError(
            f"username {username!r} is already taken", details={"fields": ["username"]}
        )
    return exc
