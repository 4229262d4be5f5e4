"""The shape of a declared index (:data:`jwstdata.db.indexes.INDEXES` holds them all)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class IndexSpec:
    name: str
    keys: tuple[tuple[str, int], ...]
    serves: str
    unique: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "keys": {k: d for k, d in self.keys},
            "unique": self.unique,
            "serves": self.serves,
            **({"options": self.options} if self.options else {}),
        }


def _ix(
    name: str, *keys: tuple[str, int], serves: str, unique: bool = False, **options: Any
) -> IndexSpec:
    return IndexSpec(name=name, keys=tuple(keys), serves=serves, unique=unique, options=options)
