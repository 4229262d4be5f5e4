"""Processing algorithms: the contract every algorithm follows, and the registry that finds them.

An algorithm is one module that subclasses :class:`Algorithm` and registers itself::

    @register
    class Histogram(Algorithm):
        name = "histogram"
        version = "1.0"
        summary = "Bin counts of the SCI values, linear or log bins"
        Params = HistogramParams              # pydantic, extra="forbid", camelCase aliases
        input = IMAGE_INPUT                   # which records it takes
        produces = ()                         # output files it writes (none: results only)

        def run(self, inputs: AlgorithmInput) -> AlgorithmOutput: ...

and is listed in :data:`ALGORITHM_MODULES`; nothing else changes. ``run`` is pure compute on a
local file: it reads ``inputs.path``, reports ``inputs.progress(fraction, message)`` and returns
JSON-safe ``results`` plus output files as bytes. It never touches the database or storage
(:mod:`jwstdata.services.processing_run` does), and it fails only with
:class:`ProcessingError`, whose ``reason`` says which of a few known things went wrong.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel

from jwstdata.errors import ValidationError, field_problems
from jwstdata.inflate import InflateLimits
from jwstdata.models import DataType, JwstDataModel
from jwstdata.naming import parse_name

# Modules whose import registers an algorithm; a new algorithm adds its module here.
ALGORITHM_MODULES: tuple[str, ...] = (
    "jwstdata.processing.statistics",
    "jwstdata.processing.preview",
    "jwstdata.processing.histogram",
    "jwstdata.processing.sources",
    "jwstdata.processing.spectrum",
    "jwstdata.processing.cutout",
)
# 100 Mpx: a 10k x 10k mosaic; about 400 MB as float32, a few times that while computing.
DEFAULT_MAX_PIXELS = 100_000_000
FITS_FORMATS = frozenset({"fits", "fits.gz", "fit", "fts"})
# Table products: no SCI image to compute on.
TABLE_SUFFIXES = frozenset({"x1d", "x1dints", "c1d", "stream"})
SPECTRUM_SUFFIXES = frozenset({"x1d", "x1dints", "c1d"})

Progress = Callable[[float, str], None]


class ProcessingError(ValidationError):
    """An algorithm could not process its input; ``reason`` is one of :data:`REASONS`.

    A subclass of ValidationError because every reason is a property of the input (its size,
    content or the parameters asked for), not a fault of the service.
    """

    code = "processing_failed"
    REASONS = (
        "oversize",  # the array is larger than the configured pixel limit
        "no_science_data",  # no SCI extension (nor an image in the primary HDU)
        "not_an_image",  # SCI is not a 2-D or larger image
        "not_a_spectrum",  # no EXTRACT1D-like table with WAVELENGTH and FLUX
        "corrupt",  # unreadable, truncated or not FITS
        "unsupported_input",  # the algorithm does not take this kind of record
        "bad_parameters",  # parameters that do not validate
        "no_valid_data",  # every value is NaN/inf or masked
        "algorithm_error",  # the computation itself failed
        "storage",  # the input or an output could not be read or written
    )

    def __init__(self, message: str, *, reason: str, details: Any = None) -> None:
        if reason not in self.REASONS:
            raise ValueError(f"unknown processing failure reason {reason!r}")
        super().__init__(message, details=details)
        self.reason = reason

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "reason": self.reason}


class AlgorithmParams(BaseModel):
    """Base of every algorithm's parameters: camelCase in JSON, unknown keys refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True)
class Limits:
    max_pixels: int = DEFAULT_MAX_PIXELS
    inflate: InflateLimits = field(default_factory=InflateLimits)


def _no_progress(fraction: float, message: str) -> None:
    return None


@dataclass
class AlgorithmInput:
    path: Path  # a local file; the runner materialises storage objects
    record: JwstDataModel
    params: AlgorithmParams
    limits: Limits = field(default_factory=Limits)
    progress: Progress = _no_progress

    @property
    def suffix(self) -> str | None:
        return parse_name(self.record.file_name).suffix

    @property
    def stem(self) -> str:
        """The source's file name without its extension, for naming outputs."""
        name = self.record.file_name
        for ext in (".fits.gz", ".fits", ".fit", ".fts", ".gz"):
            if name.lower().endswith(ext):
                return name[: -len(ext)]
        return name.rsplit(".", 1)[0] if "." in name else name


@dataclass(frozen=True)
class OutputFile:
    """One file an algorithm produced: ``content`` bytes, or a ``path`` it wrote."""

    name: str
    data_type: DataType
    format: str  # "png", "ecsv"
    description: str
    is_viewable: bool
    role: str  # "preview", "thumbnail", "catalog", "plot"
    content: bytes | None = None
    path: Path | None = None
    width: int | None = None  # images: pixel size, recorded in imageInfo
    height: int | None = None
    wcs: dict[str, Any] | None = None  # images with a celestial WCS: recorded in imageInfo


@dataclass
class AlgorithmOutput:
    """``results`` are JSON/BSON-safe; the first of ``outputs`` is the main output."""

    results: dict[str, Any]
    outputs: list[OutputFile] = field(default_factory=list)


@dataclass(frozen=True)
class InputSpec:
    """Which records an algorithm takes: data types, name suffixes and file formats."""

    kind: str  # "image" or "spectrum": what the algorithm reads from the file
    data_types: frozenset[DataType]
    suffixes: frozenset[str] | None = None  # None: any suffix not excluded
    excluded_suffixes: frozenset[str] = frozenset()
    formats: frozenset[str] = FITS_FORMATS

    def problem(self, record: JwstDataModel) -> str | None:
        """Why ``record`` is not accepted, or None."""
        parsed = parse_name(record.file_name)
        fmt = (record.file_format or parsed.extension or "").lower()
        if fmt not in self.formats:
            return f"file format {fmt or 'unknown'!r} is not one of {sorted(self.formats)}"
        if record.data_type not in self.data_types:
            wanted = ", ".join(sorted(t.value for t in self.data_types))
            return f"dataType {record.data_type.value!r} is not one of: {wanted}"
        suffix = parsed.suffix
        if self.suffixes is not None and suffix not in self.suffixes:
            return f"product suffix {suffix!r} is not one of {sorted(self.suffixes)}"
        if suffix in self.excluded_suffixes:
            return f"{suffix!r} products are tables, not images"
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dataTypes": sorted(t.value for t in self.data_types),
            "suffixes": None if self.suffixes is None else sorted(self.suffixes),
            "excludedSuffixes": sorted(self.excluded_suffixes),
            "formats": sorted(self.formats),
        }


IMAGE_INPUT = InputSpec(
    kind="image",
    data_types=frozenset(
        {DataType.image, DataType.sensor, DataType.raw, DataType.spectral, DataType.calibration}
    ),
    excluded_suffixes=TABLE_SUFFIXES,
)
SPECTRUM_INPUT = InputSpec(
    kind="spectrum", data_types=frozenset({DataType.spectral}), suffixes=SPECTRUM_SUFFIXES
)


@dataclass(frozen=True)
class Produces:
    role: str
    data_type: DataType
    format: str
    description: str

    def describe(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "dataType": self.data_type.value,
            "format": self.format,
            "description": self.description,
        }


class Algorithm(ABC):
    name: ClassVar[str]
    version: ClassVar[str]
    summary: ClassVar[str]
    Params: ClassVar[type[AlgorithmParams]]
    input: ClassVar[InputSpec]
    produces: ClassVar[tuple[Produces, ...]] = ()

    def accepts(self, record: JwstDataModel) -> bool:
        return self.input.problem(record) is None

    def check_accepts(self, record: JwstDataModel) -> None:
        if problem := self.input.problem(record):
            raise ProcessingError(
                f"{self.name} cannot process {record.file_name}: {problem}",
                reason="unsupported_input",
            )

    def parse_params(self, raw: Mapping[str, Any] | AlgorithmParams | None) -> AlgorithmParams:
        """Validated parameters; ProcessingError(bad_parameters) naming every problem."""
        if isinstance(raw, self.Params):
            return raw
        try:
            return self.Params.model_validate(dict(raw or {}))
        except PydanticValidationError as exc:
            problems = field_problems(exc, default="params")
            summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
            raise ProcessingError(
                f"invalid parameters for {self.name}: {summary}",
                reason="bad_parameters",
                details=problems,
            ) from None

    @abstractmethod
    def run(self, inputs: AlgorithmInput) -> AlgorithmOutput: ...

    def describe(self) -> dict[str, Any]:
        """The ``jwstdata algorithms --json`` entry."""
        return {
            "name": self.name,
            "version": self.version,
            "summary": self.summary,
            "params": self.Params.model_json_schema(by_alias=True),
            "accepts": self.input.describe(),
            "produces": [p.describe() for p in self.produces],
        }


class AlgorithmRegistry:
    def __init__(self) -> None:
        self._algorithms: dict[str, Algorithm] = {}

    def add(self, algorithm: Algorithm) -> Algorithm:
        existing = self._algorithms.get(algorithm.name)
        if existing is not None and type(existing) is not type(algorithm):
            raise ValueError(f"algorithm {algorithm.name!r} is registered twice")
        self._algorithms[algorithm.name] = algorithm
        return algorithm

    def get(self, name: str) -> Algorithm:
        try:
            return self._algorithms[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise ValidationError(
                f"unknown algorithm {name!r} (known: {known})",
                details=[{"field": "algorithm", "message": "unknown"}],
            ) from None

    def names(self) -> list[str]:
        return sorted(self._algorithms)

    def __contains__(self, name: object) -> bool:
        return name in self._algorithms


AlgorithmClass = TypeVar("AlgorithmClass", bound=type[Algorithm])

# The registry algorithm modules register into; the runner takes it as an argument.
DEFAULT_REGISTRY = AlgorithmRegistry()


def register(cls: AlgorithmClass) -> AlgorithmClass:
    """Class decorator: add one instance of ``cls`` to the default registry."""
    DEFAULT_REGISTRY.add(cls())
    return cls


def load_algorithms() -> AlgorithmRegistry:
    """Import every module of :data:`ALGORITHM_MODULES`; the default registry, filled."""
    for module in ALGORITHM_MODULES:
        importlib.import_module(module)
    return DEFAULT_REGISTRY


def get_algorithm(name: str) -> Algorithm:
    return load_algorithms().get(name)


def list_algorithms() -> list[dict[str, Any]]:
    registry = load_algorithms()
    return [registry.get(name).describe() for name in registry.names()]


def params_hash(algorithm: str, params: AlgorithmParams) -> str:
    """A short, stable id of (algorithm, parameters): the identity of a run's outputs."""
    text = json.dumps({"algorithm": algorithm, "params": params.to_json()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars and arrays made plain, NaN/inf as None, tuples as lists."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    return value
