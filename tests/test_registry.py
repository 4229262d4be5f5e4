"""The collection and index registry (db/indexes.py) names everything the code uses.

Read from the source itself: every collection the code opens (``db[...]``,
``handle.db[...]``, ``....database[...]``, a ``*_COLLECTION`` constant) and every index a
query names through ``index_hint`` must be declared, so a new collection or hint cannot
bypass ``jwstdata db init``, the backup or the explain checks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from jwstdata.db import DatabaseHandle
from jwstdata.db.hints import index_hint
from jwstdata.db.indexes import COLLECTIONS, INDEXES, RECORDS, index_names

SRC = Path(__file__).resolve().parents[1] / "src" / "jwstdata"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _parse() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(), str(p)) for p in SRC.rglob("*.py")}


MODULES = _parse()


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "text"`` assignments."""
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                out.update({t.id: value.value for t in targets if isinstance(t, ast.Name)})
            elif isinstance(value, ast.Name):
                # NAME = OTHER: resolved after imports (see _resolver)
                out.update({t.id: f"<alias>{value.id}" for t in targets if isinstance(t, ast.Name)})
    return out


CONSTANTS = {name: _constants(tree) for name, tree in MODULES.items()}


def _resolver(module: str) -> dict[str, str]:
    """Every string constant visible in ``module``: its own and those it imports."""
    names = dict(CONSTANTS[module])
    for node in ast.walk(MODULES[module]):
        if isinstance(node, ast.ImportFrom) and node.module in CONSTANTS:
            for alias in node.names:
                value = CONSTANTS[node.module].get(alias.name)
                if value is not None:
                    names[alias.asname or alias.name] = value
    for key, value in list(names.items()):
        if value.startswith("<alias>"):
            target = value.removeprefix("<alias>")
            if target in names and not names[target].startswith("<alias>"):
                names[key] = names[target]
            else:
                del names[key]
    return names


def _value(node: ast.expr, names: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    return None


def _is_database(node: ast.expr) -> bool:
    """``db``, ``database``, ``x.db`` or ``x.database``: an expression that is a Database."""
    if isinstance(node, ast.Name):
        return node.id in {"db", "database"}
    return isinstance(node, ast.Attribute) and node.attr in {"db", "database"}


def _used_collections() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for module, tree in MODULES.items():
        names = _resolver(module)
        for key, value in CONSTANTS[module].items():
            if key.endswith("COLLECTION") and not value.startswith("<alias>"):
                used.setdefault(value, set()).add(module)
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript) and _is_database(node.value):
                name = _value(node.slice, names)
                if name is not None:
                    used.setdefault(name, set()).add(module)
    return used


def _literal_hints() -> list[tuple[str, str]]:
    hints = []
    for module, tree in MODULES.items():
        names = _resolver(module)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "index_hint"
                and len(node.args) == 2
                and (name := _value(node.args[1], names)) is not None
            ):
                hints.append((module, name))
    return hints


def test_every_collection_the_code_uses_is_declared() -> None:
    used = _used_collections()
    # The scan must see the collections it is about (a broken scan would pass vacuously).
    assert {RECORDS, "users", "jobs", "web_sessions", "storage_gc", "archive_moves"} <= set(used)
    undeclared = {name: sorted(mods) for name, mods in used.items() if name not in COLLECTIONS}
    assert not undeclared, f"collections missing from db/indexes.py COLLECTIONS: {undeclared}"


def test_every_collection_with_indexes_is_a_declared_collection() -> None:
    assert set(INDEXES) <= set(COLLECTIONS)


def test_every_named_hint_is_a_declared_index() -> None:
    hints = _literal_hints()
    assert len(hints) > 20  # the scan found the hint call sites
    declared = {"_id_"} | {spec.name for specs in INDEXES.values() for spec in specs}
    unknown = [(module, name) for module, name in hints if name not in declared]
    assert not unknown, f"hints naming no declared index: {unknown}"


def test_web_sessions_ttl_index_is_declared() -> None:
    specs = {spec.name: spec for spec in INDEXES["web_sessions"]}
    assert specs["expires_ttl"].options == {"expireAfterSeconds": 0}


def test_index_hint_refuses_an_undeclared_index(db_handle: DatabaseHandle) -> None:
    records = db_handle.db[RECORDS]
    assert "file_path" in index_names(RECORDS)
    index_hint(records, "file_path")  # declared: fine on every server
    with pytest.raises(LookupError, match="filepath"):
        index_hint(records, "filepath")


def test_init_creates_every_declared_index_once(db_handle: DatabaseHandle) -> None:
    from jwstdata.db import init_database

    init_database(db_handle)
    again = init_database(db_handle)
    assert not again.indexes_created and not again.indexes_failed
    for name, specs in INDEXES.items():
        present = {ix["name"] for ix in db_handle.db[name].list_indexes()}
        assert {spec.name for spec in specs} <= present, name
