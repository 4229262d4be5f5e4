"""Processing: algorithms that compute on a record's file (pure array work, no database).

- :mod:`~jwstdata.processing.registry`: the :class:`Algorithm` contract, the registry
  (:func:`get_algorithm`, :func:`list_algorithms`) and :class:`ProcessingError`.
- :mod:`~jwstdata.processing.data`: opening inputs (header size check, memory mapping).
- :mod:`~jwstdata.processing.stretch`: display intervals, stretches and colormaps.
- one module per algorithm: ``statistics``, ``preview``, ``histogram``, ``sources``,
  ``spectrum``.
- the runner that stores results is a service: :mod:`jwstdata.services.processing_run`
  (materialise, run, store outputs as derived records, append the ProcessingResult).
"""

from jwstdata.processing.registry import (
    DEFAULT_MAX_PIXELS,
    Algorithm,
    AlgorithmInput,
    AlgorithmOutput,
    AlgorithmParams,
    Limits,
    OutputFile,
    ProcessingError,
    get_algorithm,
    list_algorithms,
    register,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "Algorithm",
    "AlgorithmInput",
    "AlgorithmOutput",
    "AlgorithmParams",
    "Limits",
    "OutputFile",
    "ProcessingError",
    "get_algorithm",
    "list_algorithms",
    "register",
]
