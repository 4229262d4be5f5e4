"""Text search the way names are written: normalised terms, matched on a multikey index.

Astronomers write the same name several ways (``NGC 3132``, ``NGC-3132``, ``ngc3132``;
``M16``, ``M-16``), so the search key ignores case, spaces, hyphens, underscores and every
other punctuation. Each record keeps ``_norm.terms``, a list of normalised terms built from
the fields a name is looked up in (target as proposed and as named, programme title, file
name, filter, instrument, description):

- every *token* (the value split at anything that is not a letter or digit): ``ngc``,
  ``3132``; ``clear``, ``f090w``;
- every run of up to :data:`MAX_RUN` adjacent tokens joined, and the whole value joined:
  ``ngc3132``, ``clearf090w``, and the whole file name without punctuation;
- the letter and digit parts of a token that mixes them: ``ngc3132`` gives ``ngc`` and ``3132``.

A query is split at white space; each word, normalised the same way, must equal one of the
record's terms (``$all``). So ``NGC 3132``, ``ngc3132`` and ``NGC-3132`` find the same records
whichever way the record writes the name, and ``f090w`` finds every F090W record. Equality on
a multikey index is what every MongoDB-compatible server can seek (a regex never is); the
index is ``(_norm.terms, uploadDate)`` so a single-word search pages newest first on it.

Hand-written rather than a server text index: ``$text`` is neither available on every server
the project supports nor able to join tokens (``NGC 3132`` = ``ngc3132``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Fields searched, as stored paths (``metadata.targname`` is the TARGNAME keyword; the
# MAST target name and title arrive in ``imageInfo`` and the ``mast_*`` metadata).
TEXT_PATHS: tuple[str, ...] = (
    "imageInfo.targetName",
    "metadata.targname",
    "metadata.targprop",
    "metadata.mast_target_name",
    "imageInfo.observationTitle",
    "fileName",
    "imageInfo.filter",
    "imageInfo.instrument",
    "description",
)
MAX_RUN = 4  # adjacent tokens joined into one term (``jw02733 o001 t001 nircam`` ...)
MAX_TOKENS_PER_FIELD = 64  # a long description adds its first words only
MAX_TERM_LENGTH = 200  # longer joined values (a whole description) are not kept
MAX_QUERY_WORDS = 16

_SEPARATORS = re.compile(r"[\W_]+")
_PARTS = re.compile(r"[^\W\d_]+|\d+")


def normalise_word(text: str) -> str:
    """Case-folded, with everything that is not a letter or digit removed.

    >>> normalise_word("NGC-3132"), normalise_word(" m_16 "), normalise_word("F090W")
    ('ngc3132', 'm16', 'f090w')
    """
    return _SEPARATORS.sub("", text.casefold())


def value_terms(value: str) -> list[str]:
    """The terms one field value contributes (see the module docstring).

    >>> value_terms("NGC 3132")
    ['ngc', '3132', 'ngc3132']
    """
    tokens = [t for t in _SEPARATORS.split(value.casefold()) if t][:MAX_TOKENS_PER_FIELD]
    terms: list[str] = []
    for start in range(len(tokens)):
        for stop in range(start + 1, min(start + MAX_RUN, len(tokens)) + 1):
            terms.append("".join(tokens[start:stop]))
    whole = "".join(tokens)
    if whole and len(whole) <= MAX_TERM_LENGTH:
        terms.append(whole)
    for token in tokens:
        parts = _PARTS.findall(token)
        if len(parts) > 1:
            terms += parts
    return list(dict.fromkeys(t for t in terms if len(t) <= MAX_TERM_LENGTH))


def _get(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _file_stem(name: str) -> str:
    """The file name without its extension(s): ``.fits``/``.fits.gz`` say nothing searchable."""
    stem = name.rsplit("/", 1)[-1]
    for _ in range(2):
        head, dot, ext = stem.rpartition(".")
        if dot and head and len(ext) <= 5:
            stem = head
    return stem


def record_terms(document: dict[str, Any]) -> list[str]:
    """Every normalised term of a stored record (``_norm.terms``)."""
    terms: list[str] = []
    for path in TEXT_PATHS:
        value = _get(document, path)
        if not isinstance(value, str) or not value.strip():
            continue
        if path == "fileName":
            terms += value_terms(_file_stem(value))
        terms += value_terms(value)
    return list(dict.fromkeys(terms))


def query_words(text: str | None) -> list[str]:
    """The normalised words of a query (white space separates words; nothing else does).

    >>> query_words("NGC 3132"), query_words("ngc-3132  F090W"), query_words(" - ")
    (['ngc', '3132'], ['ngc3132', 'f090w'], [])
    """
    if not text:
        return []
    words = (normalise_word(w) for w in text.split())
    return list(dict.fromkeys(w for w in words if w))[:MAX_QUERY_WORDS]


def terms_clause(words: Iterable[str]) -> dict[str, Any] | None:
    """The filter clause: every word is one of the record's terms."""
    words = list(words)
    if not words:
        return None
    return {"_norm.terms": words[0] if len(words) == 1 else {"$all": words}}


def selective_word(words: list[str]) -> str:
    """The word a search seeks on: the longest (longer terms are held by fewer records)."""
    return max(words, key=len)
