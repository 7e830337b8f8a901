"""Statement-level provenance: which passages, in whose voice, or which background records
each asserted data triple rests on.

A data record cites its sources with ``statedIn`` (passages, in the report's own voice, or in
the voice of ``accordingTo``, refined by ``attributionDetail``) and ``backgroundSource``; those
are the record's default, and every triple the record states rests on them. A ``sources`` list
adds more, or, with ``for``, says it per property (``for: [hasTime]``) or per value
(``for: [partOf=country/azerbaijan]``); a property named in ``for`` rests on its entries alone.
A nested node without sources of its own rests on its parent's default; the triple that links
it to its parent rests on the nested node's. An ``extend`` record states more about a node
defined elsewhere (another report says more about a town), with its own sources.

In the graph each source is an attestation node (``kg:Attestation``: one passage in one voice,
or one background record). A data node points at the attestations of its defining record with
``kg:attestedBy``: its default. A triple that rests on anything else (other passages, another
voice, another report as well) gets a reified statement (``rdf:Statement`` with
``rdf:subject``, ``rdf:predicate``, ``rdf:object``) carrying its own ``kg:attestedBy`` links,
which replace the default for that triple. ``kg:statedIn`` and ``kg:backgroundSource`` on a
data node list every passage and record any of its triples rests on, as a summary.

A disagreement's ``sides`` name nodes, or triples as ``[subject, property, value]``; a triple
side always gets its reified statement, so that ``kg:hasSide`` can point at it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from kgbuild.errors import DataError
from kgbuild.namespaces import KG, RDF, RDFS

Triple = tuple[Node, Node, Node]

__all__ = [
    "ATTESTATION_KEYS",
    "RESERVED_KEYS",
    "SOURCE_ENTRY_KEYS",
    "Plan",
    "plan_records",
]

# Record keys that cite sources: they make attestations, not triples of the record's node.
ATTESTATION_KEYS = ("statedIn", "accordingTo", "attributionDetail", "backgroundSource")
SOURCE_ENTRY_KEYS = frozenset({*ATTESTATION_KEYS, "for"})
# Keys of the data format that are not terms of the context.
RESERVED_KEYS = frozenset({"sources", "extend", "sides"})

# Records of these classes are sources themselves and rest on nothing.
SOURCE_CLASSES = frozenset({str(KG.Passage), str(KG.BackgroundSource)})

_HAS_SIDE = KG.hasSide
_ATTESTED_BY = KG.attestedBy
_STATED_IN = KG.statedIn
_BACKGROUND = KG.backgroundSource
_ACCORDING_TO = KG.accordingTo
_DETAIL = KG.attributionDetail


@dataclass(frozen=True)
class Source:
    """One attestation: a passage in one voice, or a background record."""

    cited: str  # the passage or background record IRI
    background: bool
    speaker: str | None = None
    detail: str | None = None

    def key(self) -> tuple[str, bool, str, str]:
        return (self.cited, self.background, self.speaker or "", self.detail or "")


Sources = frozenset[Source]


@dataclass
class RecordPlan:
    """What one flattened record says about its sources."""

    subject: str
    path: Path
    line: int
    defining: bool
    exempt: bool
    default: Sources
    by_key: dict[str, Sources] = field(default_factory=dict)
    by_value: dict[tuple[str, Node], Sources] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)
    sides: list[tuple[Any, int]] = field(default_factory=list)


class Plan:
    """The records' sources, ready to attest the triples the records produce."""

    def __init__(self, context: Any, base: str) -> None:
        self.context = context
        self.base = base
        self.records: list[RecordPlan] = []
        self.labels: dict[str, str] = {}
        # predicate IRI -> the record keys that produce it
        self.keys_of: dict[str, list[str]] = defaultdict(list)
        for name, term in context.properties.items():
            self.keys_of[term.iri].append(name)
        self.keys_of[str(RDF.type)].append("type")

    # -- values as RDF terms, for `for: [key=value]` and `sides`

    def value_term(self, key: str, raw: str) -> Node | None:
        if key == "type":
            iri = self.context.names.get(raw)
            return URIRef(iri) if iri else None
        term = self.context.properties.get(key)
        if term is None:
            return None
        if term.kind == "reference":
            return URIRef(raw)  # the checker made it absolute
        if term.kind == "vocab":
            iri = self.context.names.get(raw)
            return URIRef(iri) if iri else None
        if term.kind == "typed":
            return Literal(raw, datatype=URIRef(term.datatype))
        if term.kind == "language":
            return Literal(raw, lang=term.language)
        return Literal(raw)

    def predicate(self, key: str) -> URIRef | None:
        if key == "type":
            return RDF.type
        term = self.context.properties.get(key)
        return URIRef(term.iri) if term else None

    # -- attesting the triples

    def attest(
        self, quads: Iterable[tuple[Node, Node, Node, int]]
    ) -> tuple[list[Triple], dict[URIRef, tuple[Path, int]], list[DataError]]:
        """The data triples, each once, followed by the provenance triples; the locations of the
        statement and attestation nodes; and the errors found (sides that are no triple)."""
        records = self.records
        # The records' own frozensets are shared, not copied: most triples rest on their
        # record's default, and a million sets would cost hundreds of megabytes.
        sources_of: dict[Triple, Sources] = {}
        where_of: dict[Triple, tuple[Path, int]] = {}
        exempt_subjects: set[str] = set()
        for s, p, o, index in quads:
            triple = (s, p, o)
            record = records[index]
            if record.exempt:
                exempt_subjects.add(record.subject)
                sources_of.setdefault(triple, frozenset())
                continue
            found = record.by_value.get((str(p), o))
            if found is None:
                found = record.by_key.get(str(p), record.default)
            before = sources_of.get(triple)
            if before is None:
                sources_of[triple] = found
            elif not found <= before:
                sources_of[triple] = before | found
            if triple not in where_of:
                line = record.line
                for key in self.keys_of.get(str(p), ()):
                    if key in record.key_lines:
                        line = record.key_lines[key]
                        break
                where_of[triple] = (record.path, line)

        defaults: dict[str, Sources] = {}
        for record in records:
            if record.defining and not record.exempt:
                defaults[record.subject] = record.default

        errors: list[DataError] = []
        forced: set[Triple] = set()
        sides: list[tuple[str, Node]] = []
        for record in records:
            for side, line in record.sides:
                if isinstance(side, str):
                    sides.append((record.subject, URIRef(side)))
                    continue
                subject, key, raw = side
                triple = (URIRef(subject), self.predicate(key), self.value_term(key, raw))
                if triple not in sources_of:
                    errors.append(
                        DataError(
                            f"side [{', '.join(side_text(side, self.base))}] of node "
                            f"'{record.subject[len(self.base) :]}' is not a triple of the data",
                            record.path,
                            line,
                            "a side names a subject, a property and a value that a record "
                            "states; check the three against the records",
                        )
                    )
                    continue
                forced.add(triple)
                sides.append((record.subject, URIRef(self.statement_iri(triple))))

        data = list(sources_of)
        out: list[Triple] = list(data)
        locations: dict[URIRef, tuple[Path, int]] = {}
        used: dict[Source, tuple[Path, int]] = {}
        summary: dict[Node, set[Source]] = defaultdict(set)
        for triple in data:
            found = sources_of[triple]
            subject = triple[0]
            if str(subject) in exempt_subjects and not found:
                continue
            default = defaults.get(str(subject), frozenset())
            summary[subject].update(found)
            for source in found:
                used.setdefault(source, where_of[triple])
            if found == default and triple not in forced:
                continue
            if not found and triple not in forced:
                continue  # unattested: the shapes report it on its node
            statement = URIRef(self.statement_iri(triple))
            locations[statement] = where_of[triple]
            out.append((statement, RDF.type, RDF.Statement))
            out.append((statement, RDF.subject, triple[0]))
            out.append((statement, RDF.predicate, triple[1]))
            out.append((statement, RDF.object, triple[2]))
            out.extend(
                (statement, _ATTESTED_BY, self.attestation(s))
                for s in sorted(found, key=Source.key)
            )
        for record in records:
            if record.defining and not record.exempt:
                node = URIRef(record.subject)
                out.extend(
                    (node, _ATTESTED_BY, self.attestation(s))
                    for s in sorted(record.default, key=Source.key)
                )
                summary[node].update(record.default)
                for source in record.default:
                    used.setdefault(source, (record.path, record.line))
        for node, found in summary.items():
            out.extend(
                (node, _BACKGROUND if s.background else _STATED_IN, URIRef(s.cited))
                for s in sorted(found, key=Source.key)
            )
        for source, where in sorted(used.items(), key=lambda item: item[0].key()):
            locations[self.attestation(source)] = where
            out.extend(self.attestation_triples(source))
        out.extend((URIRef(owner), _HAS_SIDE, side) for owner, side in sides)
        return list(dict.fromkeys(out)), locations, errors

    def attestation(self, source: Source) -> URIRef:
        cited = source.cited[len(self.base) :]
        if not source.background:
            cited = cited.removeprefix("passage/")
        rel = f"attestation/{cited}"
        if source.speaker:
            rel += (
                "/" + source.speaker[len(self.base) :]
                if source.speaker.startswith(self.base)
                else "/" + _short_hash(source.speaker)
            )
        if source.detail:
            rel += "~" + _short_hash(source.detail)
        return URIRef(self.base + rel)

    def attestation_triples(self, source: Source) -> list[Triple]:
        node = self.attestation(source)
        cited_label = self.labels.get(source.cited, source.cited[len(self.base) :])
        if source.background:
            label = f"Background record: {cited_label}"
        elif source.speaker:
            speaker = self.labels.get(source.speaker, source.speaker[len(self.base) :])
            label = f"{cited_label}, attributed to {speaker}"
        else:
            label = f"{cited_label}, in the document's own voice"
        triples: list[Triple] = [
            (node, RDF.type, KG.Attestation),
            (node, RDFS.label, Literal(label, lang="en")),
            (node, _BACKGROUND if source.background else _STATED_IN, URIRef(source.cited)),
        ]
        if source.speaker:
            triples.append((node, _ACCORDING_TO, URIRef(source.speaker)))
        if source.detail:
            triples.append((node, _DETAIL, Literal(source.detail, lang="en")))
        return triples

    def statement_iri(self, triple: Triple) -> str:
        subject, predicate, obj = triple
        rel = (
            str(subject)[len(self.base) :]
            if str(subject).startswith(self.base)
            else (_short_hash(str(subject)))
        )
        keys = self.keys_of.get(str(predicate))
        name = keys[0] if keys else _short_hash(str(predicate))
        digest = hashlib.sha256(f"{predicate} {obj.n3()}".encode()).hexdigest()[:10]
        return f"{self.base}statement/{rel}/{name}/{digest}"


def side_text(side: Any, base: str) -> list[str]:
    return [str(x)[len(base) :] if str(x).startswith(base) else str(x) for x in side]


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


# --------------------------------------------------------------------------------------------
# Reading the records


def plan_records(records: list[tuple[Any, Path]], context: Any) -> tuple[list[dict], Plan]:
    """Flatten checked records into one JSON-LD node object per node and record, without their
    source keys, and plan the attestations of the triples each will produce. ``records`` are
    (record, file) pairs whose ids and references the checker made absolute."""
    plan = Plan(context, context.base)
    flat: list[dict] = []
    for record, path in records:
        _flatten(record, path, plan, flat, inherited=frozenset())
    return flat, plan


def _sources_of(entry: Any) -> Sources:
    """The attestations of a record or a `sources` entry (its own keys only)."""
    found: set[Source] = set()
    speaker = entry.get("accordingTo")
    detail = entry.get("attributionDetail")
    for cited in _as_list(entry.get("statedIn")):
        found.add(Source(cited, False, speaker, detail))
    for cited in _as_list(entry.get("backgroundSource")):
        found.add(Source(cited, True))
    return frozenset(found)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _flatten(record: Any, path: Path, plan: Plan, flat: list[dict], inherited: Sources) -> Sources:
    """Add ``record`` and its nested nodes to ``flat``; returns the record's default."""
    defining = "extend" not in record
    subject = record["id"] if defining else record["extend"]
    types = {plan.context.names.get(t) for t in _as_list(record.get("type"))}
    own = set(_sources_of(record))
    key_overrides: dict[str, set[Source]] = defaultdict(set)
    value_overrides: dict[tuple[str, str], set[Source]] = defaultdict(set)
    for entry in _as_list(record.get("sources")):
        found = _sources_of(entry)
        targets = _as_list(entry.get("for"))
        if not targets:
            own.update(found)
        for target in targets:
            key, eq, raw = str(target).partition("=")
            if eq:
                value_overrides[(key, raw)].update(found)
            else:
                key_overrides[key].update(found)
    default = frozenset(own) if own else inherited
    label = record.get("label")
    if isinstance(label, str):
        plan.labels[subject] = label

    node: dict[str, Any] = {"id": subject}
    rp = RecordPlan(
        subject=subject,
        path=path,
        line=getattr(record, "line", 0),
        defining=defining,
        exempt=bool(types & SOURCE_CLASSES),
        default=default,
        key_lines=dict(getattr(record, "key_lines", {})),
    )
    for key, found in key_overrides.items():
        predicate = plan.predicate(key)
        if predicate is not None:
            rp.by_key[str(predicate)] = frozenset(found)
    for (key, raw), found in value_overrides.items():
        predicate = plan.predicate(key)
        value = plan.value_term(key, _absolute(plan, key, raw))
        if predicate is not None and value is not None:
            rp.by_value[(str(predicate), value)] = frozenset(found)
    index = len(flat)
    flat.append(node)
    plan.records.append(rp)

    for key, value in record.items():
        if key in ("id", "extend", "sources", *ATTESTATION_KEYS):
            continue
        if key == "sides":
            lines = getattr(value, "item_lines", [rp.line] * len(value))
            rp.sides.extend(
                (side if isinstance(side, str) else tuple(side), line)
                for side, line in zip(value, lines, strict=True)
            )
            continue
        if isinstance(value, list):
            items = []
            for item in value:
                items.append(_nested(item, key, path, plan, flat, default, rp))
            node[key] = items
        else:
            node[key] = _nested(value, key, path, plan, flat, default, rp)
    flat[index] = node
    return default


def _nested(
    value: Any,
    key: str,
    path: Path,
    plan: Plan,
    flat: list[dict],
    default: Sources,
    parent: RecordPlan,
) -> Any:
    """A value of a record: nested node objects become their own records, leaving a reference
    whose triple rests on the nested node's sources (unless the parent says otherwise)."""
    if not isinstance(value, dict) or "id" not in value:
        return value
    if len(value) == 1:
        return value["id"]  # a node reference written as a mapping
    child_default = _flatten(value, path, plan, flat, default)
    predicate = plan.predicate(key)
    if predicate is not None and str(predicate) not in parent.by_key:
        parent.by_value.setdefault((str(predicate), URIRef(value["id"])), child_default)
    return value["id"]


def _absolute(plan: Plan, key: str, raw: str) -> str:
    term = plan.context.properties.get(key)
    if term is not None and term.kind == "reference":
        iri = _resolve(plan, raw)
        return iri or raw
    return raw


def _resolve(plan: Plan, raw: str) -> str | None:
    prefix, sep, rest = raw.partition(":")
    if sep and prefix in plan.context.prefixes and not rest.startswith("//"):
        return plan.context.prefixes[prefix] + rest
    if sep:
        return raw
    return plan.base + raw
