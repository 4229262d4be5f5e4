"""Who is asking: the access context every read and write is scoped by."""

from __future__ import annotations

from dataclasses import dataclass

from bson import ObjectId


@dataclass(frozen=True, slots=True)
class AccessContext:
    """Anonymous (``user_id`` None), a user, or an admin.

    The data layer turns this into a query clause; it never filters results in memory.
    """

    user_id: ObjectId | None = None
    is_admin: bool = False

    @classmethod
    def anonymous(cls) -> AccessContext:
        return cls()

    @classmethod
    def admin(cls, user_id: ObjectId | None = None) -> AccessContext:
        return cls(user_id=user_id, is_admin=True)

    @classmethod
    def user(cls, user_id: ObjectId) -> AccessContext:
        return cls(user_id=user_id)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None and not self.is_admin

    def read_filter(self) -> dict:
        """The clause a document must match to be visible to this caller."""
        if self.is_admin:
            return {}
        if self.user_id is None:
            return {"isPublic": True}
        return {"$or": [{"isPublic": True}, {"userId": self.user_id}, {"sharedWith": self.user_id}]}

    def write_filter(self) -> dict:
        """Owners and admins write; MAST public imports (userId null) are admin-only."""
        if self.is_admin:
            return {}
        if self.user_id is None:
            return {"_id": {"$exists": False}}  # matches nothing
        return {"userId": self.user_id}

    def can_write_owner(self, owner: ObjectId | None) -> bool:
        return self.is_admin or (owner is not None and owner == self.user_id)
