"""Processing results as people read them: labelled rows, numbers with their units, tables.

An algorithm's ``results`` is free-form JSON (numbers, strings, nested objects, lists of
rows). The pages never print it as a Python or JSON literal: each value becomes a row with
a readable label; a value measured in the image's unit (``unit``, from ``BUNIT``) carries
that unit; a list of objects (e.g. the brightest sources) becomes a table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Keys whose values are measured in the image's unit (``results["unit"]``).
IN_IMAGE_UNIT = frozenset(
    {"min", "max", "mean", "median", "std", "stddev", "mad", "sum", "rms", "threshold", "flux"}
    | {"p1", "p5", "p25", "p50", "p75", "p95", "p99", "sigmaClippedMean", "sigmaClippedStd"}
)
# Units a key implies by its name.
NAMED_UNITS = {
    "durationSeconds": "s",
    "seconds": "s",
    "ra": "°",
    "dec": "°",
    "wavelengthStart": "µm",
    "wavelengthEnd": "µm",
}
LABELS = {"ra": "RA", "dec": "Dec", "x": "x", "y": "y", "fwhm": "FWHM", "hasWcs": "Has WCS"}
PIXEL_SHAPES = frozenset({"shape", "imageShape"})
HIDDEN = frozenset({"unit"})  # shown with the values it qualifies
LONG_LIST = 8  # longer lists of numbers are summarised, not printed
TABLE_ROWS = 50


@dataclass
class ResultTable:
    label: str
    columns: list[str]
    rows: list[list[str]]
    more: int = 0  # rows left out


@dataclass
class ResultView:
    rows: list[tuple[str, str]] = field(default_factory=list)
    tables: list[ResultTable] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.rows and not self.tables


def label(key: str) -> str:
    """``validCount`` → "Valid count", ``dq_mask_bits`` → "Dq mask bits"."""
    if key in LABELS:
        return LABELS[key]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key.replace("_", " ")).split()
    text = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return text[:1].upper() + text[1:] if text else key


def number(value: float | int) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if value != value:  # NaN
        return "NaN"
    readable = value == 0 or 1e-3 <= abs(value) < 1e6
    return f"{value:.6g}" if readable else f"{value:.4e}"


def _unit_for(key: str, unit: str | None) -> str | None:
    if key in NAMED_UNITS:
        return NAMED_UNITS[key]
    return unit if unit and key in IN_IMAGE_UNIT else None


def scalar(key: str, value: Any, unit: str | None = None) -> str:
    """One value as text, with its unit where it has one."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        text = number(value)
        suffix = _unit_for(key, unit)
        return f"{text} {suffix}" if suffix else text
    if key in PIXEL_SHAPES and isinstance(value, list) and all(isinstance(v, int) for v in value):
        return " \u00d7 ".join(str(v) for v in reversed(value)) + " px"  # width by height
    if isinstance(value, list):
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            if len(value) > LONG_LIST:
                low, high = min(value), max(value)
                return f"{len(value)} values, {number(low)} to {number(high)}"
            return ", ".join(scalar(key, v, unit) for v in value)
        return ", ".join(scalar(key, v, unit) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{label(k)} {scalar(k, v, unit)}" for k, v in value.items())
    return str(value)


def _is_rows(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _bare(key: str, value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value)
    return scalar(key, value)


def _table(key: str, items: list[dict[str, Any]], unit: str | None) -> ResultTable:
    columns: list[str] = []
    for item in items:
        columns += [c for c in item if c not in columns]
    headers = [f"{label(c)} ({u})" if (u := _unit_for(c, unit)) else label(c) for c in columns]
    # The unit is in the header, so the cells are bare numbers.
    rows = [[_bare(c, item.get(c)) for c in columns] for item in items[:TABLE_ROWS]]
    return ResultTable(label(key), headers, rows, max(0, len(items) - TABLE_ROWS))


def result_view(results: dict[str, Any] | None) -> ResultView:
    """The rows and tables that show ``results``."""
    view = ResultView()
    results = results or {}
    unit = results.get("unit") if isinstance(results.get("unit"), str) else None
    for key, value in results.items():
        if key in HIDDEN:
            continue
        if _is_rows(value):
            view.tables.append(_table(key, value, unit))
        elif isinstance(value, dict) and all(
            not isinstance(v, dict | list) for v in value.values()
        ):
            for sub, item in value.items():
                view.rows.append((f"{label(key)}: {label(sub).lower()}", scalar(sub, item, unit)))
        else:
            view.rows.append((label(key), scalar(key, value, unit)))
    if unit:
        view.rows.append(("Unit", unit))
    return view


def parameters_text(parameters: dict[str, Any] | None) -> str:
    """Parameters as ``Label value`` pairs, or "defaults"."""
    if not parameters:
        return "defaults"
    return ", ".join(f"{label(k).lower()} {scalar(k, v)}" for k, v in parameters.items())
