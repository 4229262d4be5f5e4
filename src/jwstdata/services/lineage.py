"""Linking records into lineage, and walking it.

Linking is **incremental and order-independent**: for the records just written it finds
the groups they belong to (one exposure of one owner; one stage-3 run of one owner) and
recomputes each group's links from scratch with deterministic rules. The cost follows the
touched groups, never the collection, and ingesting ``cal`` before ``uncal`` ends with the
same links as the reverse.

- Exposure chain, per (exposureId, detector, segment): ``parentId`` is the best available
  parent by :data:`EXPOSURE_PARENTS`; ``derivedFrom`` is ``[parentId]``.
- Stage-3 products: ``derivedFrom`` lists the L2b inputs named in the run's ``_asn.json``
  when one is stored (``metadata.asn``), else the L2b files of the same program,
  observation (for ``oNNN`` runs), instrument and optical elements.
- Exposure files take the ``observationBaseId`` of the stage-3 product they feed (the
  smallest when several do); until one is known they keep the parser's fallback
  ``jw<PPPPP>-o<OOO>``.

Links never cross owners: a record links only to records with the same ``userId``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from jwstdata.db.lineage_store import LineageStore
from jwstdata.db.records import RecordRepository
from jwstdata.models import JwstDataModel, ProcessingLevel, utcnow
from jwstdata.naming import NameKind, ParsedName, parse_name
from jwstdata.services.lineage_rules import EXPOSURE_PARENTS, STAGE3_INPUT_SUFFIXES, STAGE3_PARENTS


@dataclass
class LinkReport:
    exposure_groups: int = 0
    stage3_groups: int = 0
    records_updated: int = 0


@dataclass
class _Node:
    doc: dict[str, Any]
    name: ParsedName
    updates: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> ObjectId:
        return self.doc["_id"]


def _stem(name: ParsedName) -> str:
    """The product name without suffix and extension (the asn ``products[].name``)."""
    base = name.file_name.lower().split(".", 1)[0]
    return base.rsplit("_", 1)[0] if name.suffix else base


def _filter_tokens(doc: dict[str, Any]) -> set[str]:
    value = ((doc.get("imageInfo") or {}).get("filter") or "").lower()
    return {t for t in re.split(r"[;+,\s]+", value) if t and t != "multiple"}


def _chain(nodes: list[_Node]) -> None:
    """Set each exposure node's parent within its (exposure, detector) group."""
    groups: dict[tuple[str | None, str | None], list[_Node]] = defaultdict(list)
    for node in nodes:
        if node.name.kind is NameKind.exposure:
            groups[(node.name.exposure_id, node.name.detector)].append(node)
    for members in groups.values():
        for node in members:
            parent = LineageLinker._best_parent(node, members)
            node.updates = {"parentId": parent, "derivedFrom": [parent] if parent else []}


def prelink(records: list[JwstDataModel]) -> list[JwstDataModel]:
    """Exposure-chain links among records about to be inserted together.

    An optimisation only: records written with their links need no update afterwards.
    :meth:`LineageLinker.link` still runs after the write and corrects anything that
    involves records already stored (it writes only what differs).
    """
    by_owner: dict[Any, list[_Node]] = defaultdict(list)
    for record in records:
        by_owner[record.user_id].append(_Node({"_id": record.id}, parse_name(record.file_name)))
    links: dict[ObjectId, dict[str, Any]] = {}
    for nodes in by_owner.values():
        _chain(nodes)
        links.update((n.id, n.updates) for n in nodes if n.updates)
    return [
        record.model_copy(
            update={
                "parent_id": links[record.id]["parentId"],
                "derived_from": links[record.id]["derivedFrom"],
            }
        )
        if record.id in links
        else record
        for record in records
    ]


class LineageLinker:
    def __init__(self, repo: RecordRepository) -> None:
        self.repo = repo
        self.store = LineageStore.for_records(repo)

    # --- entry point --------------------------------------------------------------------
    def link(self, record_ids: Iterable[ObjectId]) -> LinkReport:
        ids = list(record_ids)
        report = LinkReport()
        if not ids:
            return report
        docs = self.store.by_ids(ids)
        exposures: dict[Any, set[str]] = defaultdict(set)  # owner -> exposure ids
        runs: set[tuple[Any, str, str]] = set()  # (owner, program, acid or '*')
        for doc in docs:
            name = parse_name(doc["fileName"])
            owner = doc.get("userId")
            if name.kind is NameKind.exposure and name.exposure_id:
                exposures[owner].add(name.exposure_id)
                runs.add((owner, name.program, f"o{name.observation}"))
                runs.add((owner, name.program, "*"))  # candidate/discovered runs of the program
            elif name.kind in (NameKind.source, NameKind.association) and name.association_id:
                runs.add((owner, name.program, name.association_id))
        for owner, exposure_ids in exposures.items():
            report.exposure_groups += len(exposure_ids)
            report.records_updated += self._link_exposures(owner, exposure_ids)
        fed: dict[Any, set[str]] = defaultdict(set)
        for owner, program, acid in sorted(runs, key=str):
            updated, exposure_ids = self._link_stage3(owner, program, acid)
            report.records_updated += updated
            report.stage3_groups += 1
            fed[owner] |= exposure_ids
        for owner in set(exposures) | set(fed):
            report.records_updated += self._assign_base_ids(owner, exposures[owner] | fed[owner])
        return report

    # --- exposure chains ----------------------------------------------------------------
    def _exposure_docs(self, owner: Any, exposure_ids: set[str]) -> list[dict[str, Any]]:
        return self.store.of_exposures(owner, exposure_ids)

    def _link_exposures(self, owner: Any, exposure_ids: set[str]) -> int:
        nodes = [
            _Node(d, parse_name(d["fileName"])) for d in self._exposure_docs(owner, exposure_ids)
        ]
        _chain(nodes)
        return self._write(nodes)

    @staticmethod
    def _best_parent(node: _Node, members: list[_Node]) -> ObjectId | None:
        wanted = EXPOSURE_PARENTS.get(node.name.suffix or "", ())
        for suffix in wanted:
            same = [m for m in members if m.name.suffix == suffix and m is not node]
            if not same:
                continue
            # Prefer the same segment, then the plain (unsegmented) product, then the lowest id.
            same.sort(
                key=lambda m: (m.name.segment != node.name.segment, m.name.segment or "", m.id)
            )
            return same[0].id
        return None

    # --- stage-3 runs -------------------------------------------------------------------
    def _link_stage3(self, owner: Any, program: str, acid: str) -> tuple[int, set[str]]:
        prefix = f"jw{program}-" + ("[car]" if acid == "*" else re.escape(acid))
        products = [
            _Node(d, parse_name(d["fileName"]))
            for d in self.store.of_observations(owner, f"^{prefix}_")
        ]
        products = [p for p in products if p.name.kind is NameKind.source]
        if not products:
            return 0, set()
        asns = self.store.associations(owner, f"^{prefix}$")
        members_by_product: dict[str, list[str]] = {}
        for asn in asns:
            for product in (asn.get("metadata") or {}).get("asn", {}).get("products", []):
                members_by_product[str(product.get("name", "")).lower()] = [
                    m.rsplit("/", 1)[-1] for m in product.get("members", [])
                ]
        candidates = self._stage3_candidates(owner, program, acid, products)
        by_stem: dict[str, list[_Node]] = defaultdict(list)
        for node in products:
            by_stem[_stem(node.name)].append(node)
        fed: set[str] = set()
        for stem, group in by_stem.items():
            inputs = self._inputs_for(stem, group[0], members_by_product, candidates, owner)
            fed |= {c["exposureId"] for c in inputs if c.get("exposureId")}
            input_ids = sorted(c["_id"] for c in inputs)
            for node in group:
                parent = None
                for suffix in STAGE3_PARENTS.get(node.name.suffix or "", ()):
                    parent = next((m.id for m in group if m.name.suffix == suffix), None)
                    if parent:
                        break
                node.updates = {"parentId": parent, "derivedFrom": input_ids}
        return self._write(products), fed

    def _stage3_candidates(
        self, owner: Any, program: str, acid: str, products: list[_Node]
    ) -> list[dict[str, Any]]:
        """L2b exposure files of the run's program (and observation for ``oNNN`` runs)."""
        observations = {
            p.name.association_id[1:]
            for p in products
            if (p.name.association_id or "").startswith("o")
        }
        patterns = (
            [f"^jw{program}{obs}" for obs in sorted(observations)]
            if acid != "*"
            else [f"^jw{program}"]
        )
        out: list[dict[str, Any]] = []
        for pattern in patterns:
            out += self.store.exposures_at_level(owner, pattern, ProcessingLevel.L2b.value)
        return out

    def _inputs_for(
        self,
        stem: str,
        product: _Node,
        members_by_product: dict[str, list[str]],
        candidates: list[dict[str, Any]],
        owner: Any,
    ) -> list[dict[str, Any]]:
        members = members_by_product.get(stem)
        if members:
            return self.store.by_names(owner, members)
        elements = set((product.name.optical_elements or "").split("-")) - {""}
        chosen: dict[str, dict[str, Any]] = {}
        for doc in candidates:
            name = parse_name(doc["fileName"])
            if name.kind is not NameKind.exposure or name.suffix not in STAGE3_INPUT_SUFFIXES:
                continue
            if name.instrument != product.name.instrument:
                continue
            if (
                product.name.association_id
                and product.name.association_id.startswith("o")
                and (name.observation != product.name.association_id[1:])
            ):
                continue
            tokens = _filter_tokens(doc)
            if tokens and elements and not tokens <= elements:
                continue
            # One input per exposure and detector: the best suffix wins.
            key = f"{name.exposure_id}/{name.detector}/{name.segment}"
            rank = STAGE3_INPUT_SUFFIXES.index(name.suffix)
            if key not in chosen or rank < STAGE3_INPUT_SUFFIXES.index(
                parse_name(chosen[key]["fileName"]).suffix
            ):
                chosen[key] = doc
        return list(chosen.values())

    # --- observation base ids -----------------------------------------------------------
    def _assign_base_ids(self, owner: Any, exposure_ids: set[str]) -> int:
        if not exposure_ids:
            return 0
        docs = self._exposure_docs(owner, exposure_ids)
        exposure_of = {d["_id"]: d.get("exposureId") for d in docs}
        claimed: dict[str, list[str]] = defaultdict(list)
        for product in self.store.products_fed_by(owner, list(exposure_of)):
            base = product.get("observationBaseId")
            if not base or "_" not in base:
                continue
            for source in product.get("derivedFrom", []):
                if source in exposure_of:
                    claimed[exposure_of[source]].append(base)
        nodes = [_Node(d, parse_name(d["fileName"])) for d in docs]
        for node in nodes:
            bases = sorted(claimed.get(node.doc.get("exposureId"), []))
            target = bases[0] if bases else node.name.observation_base_id
            if target:
                node.updates = {"observationBaseId": target}
        return self._write(nodes)

    # --- writes -------------------------------------------------------------------------
    def _write(self, nodes: list[_Node]) -> int:
        """Write only what changed, in one unordered bulk (each bumps the version)."""
        changes = []
        now = utcnow()
        for node in nodes:
            delta = {k: v for k, v in node.updates.items() if node.doc.get(k) != v}
            if delta:
                changes.append((node.id, delta))
                node.doc.update(delta)
        return self.store.write_links(changes, now)
