"""Checking the records: every node object of every data file against the context and the
ontology (ids, types, keys, values, sources, sides), then every reference against the ids the
data defines. Problems are collected over all files and raised together as DataErrors.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef

from kgbuild.errors import DataError, DataErrors, InputError, display_path, excerpt
from kgbuild.load.context import KEYWORD_ALIASES, SCHEME_RE, Context, PropertyTerm, load_context
from kgbuild.load.files import check_sizes, check_top_level, data_files, read_yaml
from kgbuild.load.lexical import LEXICAL_CHECKS
from kgbuild.load.yaml_positions import YMap, YSeq, describe
from kgbuild.namespaces import KG, OWL, RDF, RDFS, qname
from kgbuild.provenance import ATTESTATION_KEYS, SOURCE_ENTRY_KEYS

# Nested node objects deeper than this are refused (JSON-LD processors recurse).
MAX_NESTING = 32
# Undefined references get close-match suggestions only up to this many, to stay fast.
MAX_SUGGESTED_REFERENCES = 100
# Absolute IRIs in data must use one of these schemes; anything else with a colon is most
# likely a typo such as 'place:lachin' for 'place/lachin'.
ABSOLUTE_SCHEMES = frozenset({"http", "https", "urn", "mailto", "tag"})
# Relative ids: path segments of IRI-safe characters; no '.'/'..' segments, no empty ones,
# no query or fragment, no ':' in the first segment (it would read as a scheme).
_SEGMENT = r"[\w.~+@!$&'()*,;=:-]+"
_RELATIVE_ID_RE = re.compile(rf"[\w.~+@!$&'()*,;=-]+(?:/{_SEGMENT})*")
_IRI_BAD_CHARS_RE = re.compile(r"[\s<>\"{}|\\^`]")
_LANG_TAG_RE = re.compile(
    r"[A-Za-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*(?:-[A-WYZa-wyz0-9](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-x(?:-[A-Za-z0-9]{1,8})+)?|x(?:-[A-Za-z0-9]{1,8})+"
)


def _did_you_mean(word: str, candidates: Any, n: int = 3) -> str:
    """' (did you mean 'x'?)' with the closest candidates, or '' if none is close."""
    scored = []
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    for candidate in candidates:
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6:
            ratio = matcher.ratio()
            if ratio >= 0.6:
                scored.append((ratio, candidate))
    if not scored:
        lowered = {c.lower(): c for c in candidates}
        if word.lower() not in lowered:
            return ""
        scored = [(1.0, lowered[word.lower()])]
    scored.sort(key=lambda x: (-x[0], x[1]))
    # Only the near-best: a clear winner is not diluted by weaker guesses.
    best = scored[0][0]
    matches = [c for ratio, c in scored[:n] if ratio >= best - 0.1]
    quoted = [f"'{excerpt(m)}'" for m in matches]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" (did you mean {listed}?)"


def _cites_sources(record: YMap) -> bool:
    """Whether a record cites sources of its own."""
    return any(key in record for key in ("statedIn", "backgroundSource", "sources"))


@dataclass
class _Reference:
    iri: str
    raw: str
    term: str
    owner: str
    path: Path
    line: int


class _Checker:
    """Checks node objects of all files, collecting errors, definitions and references."""

    def __init__(self, context: Context, ontology: Graph) -> None:
        self.ctx = context
        self.classes = {
            str(s)
            for cls in (OWL.Class, RDFS.Class)
            for s in ontology.subjects(RDF.type, cls)
            if isinstance(s, URIRef)
        }
        self.declared = {str(s) for s in ontology.subjects(RDF.type, None) if isinstance(s, URIRef)}
        self.class_terms = sorted(n for n, iri in context.names.items() if iri in self.classes)
        self.key_terms = sorted([*context.properties, "id", "type", "extend", "sources", "sides"])
        self.errors: list[DataError] = []
        self.defined: dict[str, tuple[Path, int]] = {}
        self.references: list[_Reference] = []

    def error(self, path: Path, line: int | None, message: str, hint: str | None = None) -> None:
        self.errors.append(DataError(message, path, line, hint))

    # -- IRIs

    def resolve(self, raw: str) -> tuple[str | None, str | None]:
        """Resolve an id or reference string to an IRI: (iri, None) or (None, hint)."""
        if not raw.strip():
            return None, "write an id such as 'place/lachin-district'"
        if raw != raw.strip():
            return None, "remove the surrounding spaces"
        if raw.startswith("_:"):
            return None, "blank nodes are not allowed: give the node an id"
        match = SCHEME_RE.fullmatch(raw)
        if match:
            prefix, rest = match.groups()
            if prefix in self.ctx.prefixes and not rest.startswith("//"):
                iri = self.ctx.prefixes[prefix] + rest
            elif prefix.lower() in ABSOLUTE_SCHEMES:
                iri = raw
            else:
                known = ", ".join(sorted(self.ctx.prefixes))
                return None, (
                    f"'{excerpt(prefix)}:' is not a prefix of the context ({known}) nor a "
                    f"known IRI scheme; a relative id has no ':' before its first '/', "
                    f"e.g. '{excerpt(prefix)}/{excerpt(rest)}'"
                )
            if _IRI_BAD_CHARS_RE.search(iri):
                return None, 'an IRI cannot contain spaces or any of <>"{}|\\^`'
            return iri, None
        if not _RELATIVE_ID_RE.fullmatch(raw) or any(s in (".", "..") for s in raw.split("/")):
            return None, (
                "write a relative id of letters, digits and - _ . ~ separated by '/', "
                "e.g. 'place/lachin-district'"
            )
        return self.ctx.base + raw, None

    # -- nodes

    def check_graph(self, graph: YSeq, path: Path) -> None:
        for node, line in zip(graph, graph.item_lines, strict=True):
            self.check_node(node, path, line, None, 0)

    def check_node(
        self, node: Any, path: Path, line: int, parent: tuple[str, str] | None, depth: int
    ) -> None:
        """Check one node object; ``parent`` is (property term, owner id) for nested nodes."""
        where = f" in '{parent[0]}' of node '{parent[1]}'" if parent else ""
        if not isinstance(node, YMap):
            self.error(
                path,
                line,
                f"expected a node object (a mapping with 'id'){where}, found {describe(node)}",
                "write '- id: ...' followed by 'type' and properties",
            )
            return
        if depth > MAX_NESTING:
            self.error(
                path,
                node.line,
                f"node objects nested more than {MAX_NESTING} deep",
                "give nested nodes their own top-level records and refer to their ids",
            )
            return
        if parent is None and "extend" in node:
            self.check_extension(node, path, depth)
            return
        raw_id = node.get("id")
        iri = None
        if "id" not in node:
            owner = "(node without id)"
            if parent:
                self.error(
                    path,
                    node.line,
                    f"nested node{where} has no 'id'",
                    "blank nodes are not allowed: give it an id such as 'name/lachin-az'",
                )
            else:
                self.error(
                    path,
                    node.line,
                    "node without 'id'",
                    "give every node an id such as 'place/lachin-district'",
                )
        else:
            owner = excerpt(raw_id) if isinstance(raw_id, str) else "(invalid id)"
            id_line = node.key_lines["id"]
            if not isinstance(raw_id, str):
                self.error(
                    path,
                    id_line,
                    f"'id' must be text, found {describe(raw_id)}",
                    "write an id such as 'place/lachin-district'",
                )
            else:
                iri, hint = self.resolve(raw_id)
                if iri is None:
                    self.error(path, id_line, f"invalid id '{excerpt(raw_id)}'", hint)
                elif not iri.startswith(self.ctx.base):
                    self.error(
                        path,
                        id_line,
                        f"id '{excerpt(raw_id)}' is outside the data namespace {self.ctx.base}",
                        "write a relative id such as 'place/lachin-district'",
                    )
                    iri = None
                else:
                    # Hand rdflib absolute IRIs: it then resolves nothing itself (faster, and
                    # the graph cannot disagree with the checks made here).
                    node["id"] = iri
        if len(node) == 1 and "id" in node:
            if parent and iri is not None:
                # A mapping with only an id is a node reference in JSON-LD.
                self.references.append(
                    _Reference(iri, raw_id, parent[0], parent[1], path, node.key_lines["id"])
                )
            elif not parent:
                self.error(
                    path,
                    node.line,
                    f"node '{owner}' has nothing but an id",
                    "add its type and properties, or remove it",
                )
            return
        if iri is not None:
            first = self.defined.get(iri)
            if first is not None:
                self.error(
                    path,
                    node.key_lines["id"],
                    f"duplicate id '{excerpt(raw_id)}' (first defined at {_where(*first)})",
                    "give each node its own id, or merge the two records",
                )
            else:
                self.defined[iri] = (path, node.line)
        self.check_keys(node, path, owner, depth)

    def check_extension(self, node: YMap, path: Path, depth: int) -> None:
        """A record that states more about a node defined elsewhere."""
        raw = node["extend"]
        owner = f"extend {excerpt(raw)}" if isinstance(raw, str) else "(extension)"
        line = node.key_lines["extend"]
        if "id" in node:
            self.error(
                path,
                node.key_lines["id"],
                "a record has either 'id' (it defines a node) or 'extend' (it adds to a node "
                "defined elsewhere), not both",
                "remove one of the two",
            )
            return
        iri = self.check_reference(raw, "extend", path, line, owner)
        if iri is None:
            return
        if not iri.startswith(self.ctx.base):
            found = f"found '{excerpt(raw)}'"
            self.error(path, line, f"'extend' must name a data node, {found}", "write its id")
            return
        node["extend"] = iri
        if len(node) == 1:
            self.error(
                path,
                node.line,
                f"record '{owner}' adds nothing",
                "add the properties it states, with their sources",
            )
        self.check_keys(node, path, owner, depth)
        self.check_extension_sourced(node, path, owner)

    def check_extension_sourced(self, node: YMap, path: Path, owner: str) -> None:
        """What an extension states rests on its own sources (the record's, a 'sources' entry's,
        or for a nested node, that node's own, as provenance.py attests it), never on the default
        of the node it extends, which cites what the defining record read."""
        if "statedIn" in node or "backgroundSource" in node:
            return
        entries = node.get("sources")
        entries = [e for e in entries if isinstance(e, YMap)] if isinstance(entries, YSeq) else []
        if any("for" not in e for e in entries):
            return
        covered: dict[str, set[str] | None] = {}  # key -> the values named, None for all
        for entry in entries:
            items = entry["for"] if isinstance(entry["for"], YSeq) else [entry["for"]]
            for item in items:
                if not isinstance(item, str):
                    continue
                key, eq, raw = item.partition("=")
                if not eq:
                    covered[key] = None
                elif covered.get(key, set()) is not None:
                    covered.setdefault(key, set()).update({raw, self.resolve(raw)[0] or raw})
        for key, value in node.items():
            if key in ("extend", "sources", "sides") or key in ATTESTATION_KEYS:
                continue
            named = covered.get(key, set())
            if named is None:
                continue
            values = value if isinstance(value, YSeq) else [value]
            unsourced = [
                v
                for v in values
                if not (isinstance(v, YMap) and _cites_sources(v))
                and (v.get("id") if isinstance(v, YMap) else v) not in named
            ]
            if unsourced:
                self.error(
                    path,
                    node.key_lines[key],
                    f"'{excerpt(key)}' in '{owner}' rests on no source: an extension does not "
                    "inherit the sources of the node it extends",
                    "give the record statedIn or backgroundSource, or a 'sources' entry "
                    f"'for: [{key}]'",
                )

    def check_keys(self, node: YMap, path: Path, owner: str, depth: int) -> None:
        for key, value in node.items():
            key_line = node.key_lines[key]
            if key in ("id", "extend"):
                continue
            if key == "type":
                self.check_type(value, path, key_line, owner)
                continue
            if key == "sources":
                self.check_sources(node, value, path, key_line, owner, depth)
                continue
            if key == "sides":
                self.check_sides(value, path, key_line, owner)
                continue
            term = self.ctx.properties.get(key)
            if term is None:
                self.unknown_key(key, path, key_line, owner)
            else:
                self.check_value(node, term, value, path, key_line, owner, depth)
        self.check_attribution(node, path, owner)

    # -- sources

    def check_attribution(self, entry: YMap, path: Path, owner: str) -> None:
        """accordingTo and attributionDetail qualify the passages of the same record or entry."""
        if "accordingTo" in entry and "statedIn" not in entry:
            self.error(
                path,
                entry.key_lines["accordingTo"],
                f"'accordingTo' in '{owner}' names who speaks in a passage, but no 'statedIn' "
                "passage is given beside it",
                "add the passage with statedIn, or move the attribution into a 'sources' entry",
            )
        if "attributionDetail" in entry and "accordingTo" not in entry:
            self.error(
                path,
                entry.key_lines["attributionDetail"],
                f"'attributionDetail' in '{owner}' refines an authority, but no 'accordingTo' "
                "is given beside it",
                "add accordingTo with the actor the passage quotes",
            )

    def check_sources(
        self, node: YMap, value: Any, path: Path, line: int, owner: str, depth: int
    ) -> None:
        hint = (
            "write a list of entries such as '- {statedIn: passage/001-p03, "
            "accordingTo: actor/x, for: [hasTime]}'"
        )
        if not isinstance(value, YSeq) or not value:
            self.error(
                path, line, f"'sources' of '{owner}' must be a non-empty list of entries", hint
            )
            return
        keys = {k for k in node if k not in ("id", "extend", "sources", "sides")}
        keys -= set(ATTESTATION_KEYS)
        for entry, entry_line in zip(value, value.item_lines, strict=True):
            if not isinstance(entry, YMap):
                self.error(
                    path,
                    entry_line,
                    f"an entry of 'sources' of '{owner}' must be a mapping, "
                    f"found {describe(entry)}",
                    hint,
                )
                continue
            for key, item in entry.items():
                key_line = entry.key_lines[key]
                if key not in SOURCE_ENTRY_KEYS:
                    self.error(
                        path,
                        key_line,
                        f"unknown key '{excerpt(key)}' in a 'sources' entry of '{owner}'",
                        "an entry has statedIn (with accordingTo and attributionDetail) or "
                        "backgroundSource, and optionally for"
                        + _did_you_mean(key, SOURCE_ENTRY_KEYS),
                    )
                elif key == "for":
                    self.check_for(node, keys, item, path, key_line, owner)
                else:
                    self.check_value(
                        entry, self.ctx.properties[key], item, path, key_line, owner, depth
                    )
            has_passage, has_record = "statedIn" in entry, "backgroundSource" in entry
            if has_passage == has_record:
                self.error(
                    path,
                    entry_line,
                    f"a 'sources' entry of '{owner}' must cite either passages (statedIn) or "
                    "background records (backgroundSource)",
                    "split it into two entries"
                    if has_passage
                    else "add statedIn or backgroundSource",
                )
            self.check_attribution(entry, path, owner)

    def check_for(
        self, node: YMap, keys: set[str], value: Any, path: Path, line: int, owner: str
    ) -> None:
        for _, item, item_line in self.items(value, "for", path, line, owner):
            if not isinstance(item, str):
                self.error(
                    path,
                    item_line,
                    f"'for' in '{owner}' must list property keys, found {describe(item)}",
                    "write e.g. 'for: [hasTime, partOf=country/azerbaijan]'",
                )
                continue
            key, eq, raw = item.partition("=")
            if key not in keys:
                self.error(
                    path,
                    item_line,
                    f"'for' in '{owner}' names '{excerpt(key)}', which the record does not state",
                    "name keys of the same record" + _did_you_mean(key, sorted(keys)),
                )
                continue
            if not eq:
                continue
            values = node[key] if isinstance(node[key], YSeq) else [node[key]]
            written = {v.get("id") if isinstance(v, YMap) else v for v in values}
            term = self.ctx.properties.get(key)
            resolved = raw
            if term is not None and term.kind == "reference":
                resolved = self.resolve(raw)[0] or raw
            if raw not in written and resolved not in written:
                self.error(
                    path,
                    item_line,
                    f"'for' in '{owner}' names '{excerpt(key)}={excerpt(raw)}', but "
                    f"'{excerpt(raw)}' is not a value of '{excerpt(key)}' in the record",
                    "name a value the record gives, or the key alone",
                )

    def check_sides(self, value: Any, path: Path, line: int, owner: str) -> None:
        hint = (
            "a side is a node id, or a triple written as [subject id, property key, value], "
            "e.g. [agreement/x, signedOn, time/2020-11-09]"
        )
        if not isinstance(value, YSeq) or not value:
            self.error(path, line, f"'sides' of '{owner}' must be a non-empty list", hint)
            return
        for index, item, item_line in zip(range(len(value)), value, value.item_lines, strict=True):
            if isinstance(item, str):
                iri = self.check_reference(item, "sides", path, item_line, owner)
                if iri is not None:
                    value[index] = iri
                continue
            if (
                not isinstance(item, YSeq)
                or len(item) != 3
                or not all(isinstance(x, str) for x in item)
            ):
                self.error(path, item_line, f"invalid side in '{owner}'", hint)
                continue
            subject, key, raw = item
            iri = self.check_reference(subject, "sides", path, item_line, owner)
            if iri is not None:
                item[0] = iri
            term = self.ctx.properties.get(key)
            if key != "type" and term is None:
                self.error(
                    path,
                    item_line,
                    f"unknown property '{excerpt(key)}' in a side of '{owner}'",
                    hint + _did_you_mean(key, self.key_terms),
                )
            elif key == "type" or term.kind == "vocab":
                self.check_vocab(raw, "sides", path, item_line, owner)
            elif term.kind == "reference":
                target = self.check_reference(raw, "sides", path, item_line, owner)
                if target is not None:
                    item[2] = target

    def unknown_key(self, key: str, path: Path, line: int, owner: str) -> None:
        message = f"unknown key '{excerpt(key)}' in node '{owner}'"
        if key.startswith("@"):
            alias = {v: k for k, v in KEYWORD_ALIASES.items()}.get(key)
            hint = (
                f"write '{excerpt(alias)}'"
                if alias
                else "JSON-LD keywords are not used in kgbuild data: use 'id', 'type' and the "
                "property terms of the context"
            )
        elif key in self.ctx.names:
            hint = f"'{excerpt(key)}' names a class or an individual, not a property"
        elif key in self.ctx.prefixes:
            hint = f"'{excerpt(key)}' is a prefix, not a property"
        elif ":" in key:
            hint = "use the property terms of the context, not IRIs" + _did_you_mean(
                key.rsplit(":", 1)[-1], self.key_terms
            )
        else:
            hint = "the context does not define it" + _did_you_mean(key, self.key_terms)
        self.error(path, line, message, hint)

    def check_type(self, value: Any, path: Path, line: int, owner: str) -> None:
        for _, item, item_line in self.items(value, "type", path, line, owner):
            if not isinstance(item, str):
                self.error(
                    path,
                    item_line,
                    f"'type' of node '{owner}' must be a class name, found {describe(item)}",
                    "write e.g. 'type: District'",
                )
                continue
            iri = self.ctx.names.get(item)
            if iri is None:
                if item in self.ctx.properties:
                    hint = f"'{excerpt(item)}' is a property, not a class"
                else:
                    hint = "the context defines no such class" + _did_you_mean(
                        item, self.class_terms
                    )
                self.error(
                    path, item_line, f"unknown type '{excerpt(item)}' in node '{owner}'", hint
                )
            elif iri not in self.classes:
                self.error(
                    path,
                    item_line,
                    f"type '{excerpt(item)}' of node '{owner}' is not a class of the ontology",
                    f"{qname(iri)} is not declared as owl:Class"
                    + _did_you_mean(item, self.class_terms),
                )

    def items(
        self, value: Any, key: str, path: Path, line: int, owner: str
    ) -> list[tuple[int | None, Any, int]]:
        """(index in the list or None, item, line) for a list or a single value, reporting
        empty items."""
        if isinstance(value, YSeq):
            triples = list(zip(range(len(value)), value, value.item_lines, strict=True))
            if not triples:
                self.error(
                    path,
                    line,
                    f"empty list for '{excerpt(key)}' in node '{owner}'",
                    "give a value or remove the key",
                )
        else:
            triples = [(None, value, line)]
        result = []
        for index, item, item_line in triples:
            if item is None or item == "":
                self.error(
                    path,
                    item_line,
                    f"empty value for '{excerpt(key)}' in node '{owner}'",
                    "give a value or remove the key",
                )
            elif isinstance(item, YSeq):
                self.error(
                    path,
                    item_line,
                    f"nested list in '{excerpt(key)}' of node '{owner}'",
                    "write one flat list",
                )
            else:
                result.append((index, item, item_line))
        return result

    def check_value(
        self,
        node: YMap,
        term: PropertyTerm,
        value: Any,
        path: Path,
        line: int,
        owner: str,
        depth: int,
    ) -> None:
        name, kind = term.name, term.kind
        if kind == "language-map":
            self.check_language_map(term, value, path, line, owner)
            return
        for index, item, item_line in self.items(value, name, path, line, owner):
            if kind == "reference":
                if isinstance(item, YMap):
                    self.check_node(item, path, item_line, (name, owner), depth + 1)
                    continue
                iri = self.check_reference(item, name, path, item_line, owner)
                if iri is not None:  # absolute for rdflib, as for ids
                    if index is None:
                        node[name] = iri
                    else:
                        value[index] = iri
                continue
            if not isinstance(item, str):
                expected = "a term such as 'StatusOpen'" if kind == "vocab" else "text"
                self.error(
                    path,
                    item_line,
                    f"'{name}' of node '{owner}' must be {expected}, found {describe(item)}",
                )
            elif kind == "vocab":
                self.check_vocab(item, name, path, item_line, owner)
            elif kind == "typed":
                check = LEXICAL_CHECKS.get(term.datatype or "")
                problem = check(item) if check else None
                if problem is not None:
                    detail, hint = problem
                    message = (
                        f"invalid {qname(term.datatype or '')} '{excerpt(item)}' for '{name}' "
                        f"in node '{owner}'"
                    )
                    self.error(path, item_line, f"{message}: {detail}" if detail else message, hint)
            elif not item.strip():
                self.error(
                    path,
                    item_line,
                    f"blank text for '{name}' in node '{owner}'",
                    "give a value or remove the key",
                )

    def check_reference(
        self, item: Any, name: str, path: Path, line: int, owner: str
    ) -> str | None:
        """Resolve and record one reference; returns its IRI, or None if it is invalid."""
        if not isinstance(item, str):
            self.error(
                path,
                line,
                f"'{name}' of node '{owner}' must be an id or a node object, "
                f"found {describe(item)}",
            )
            return None
        iri, hint = self.resolve(item)
        if iri is None:
            self.error(
                path,
                line,
                f"invalid reference '{excerpt(item)}' in '{name}' of node '{owner}'",
                hint,
            )
        elif iri.startswith(str(KG)):
            if iri not in self.declared:
                self.error(
                    path,
                    line,
                    f"reference '{excerpt(item)}' in '{name}' of node '{owner}' is not "
                    "declared in the ontology",
                    f"{qname(iri)} has no rdf:type there",
                )
        elif iri.startswith(self.ctx.base):
            self.references.append(_Reference(iri, item, name, owner, path, line))
        return iri

    def check_vocab(self, item: str, name: str, path: Path, line: int, owner: str) -> None:
        iri = self.ctx.names.get(item)
        if iri is None:
            hint = "the context defines no such term" + _did_you_mean(item, self.ctx.names)
            self.error(
                path, line, f"unknown term '{excerpt(item)}' in '{name}' of node '{owner}'", hint
            )
        elif iri.startswith(str(KG)) and iri not in self.declared:
            self.error(
                path,
                line,
                f"'{excerpt(item)}' in '{name}' of node '{owner}' is not declared in the ontology",
                f"declare {qname(iri)} in ontology/*.ttl or use another term",
            )

    def check_language_map(
        self, term: PropertyTerm, value: Any, path: Path, line: int, owner: str
    ) -> None:
        hint = "write a mapping of language tags to text, e.g. {az: Laçın, hy: Լաչին}"
        if not isinstance(value, YMap):
            self.error(
                path,
                line,
                f"'{term.name}' of node '{owner}' must be a mapping of "
                f"language tags, found {describe(value)}",
                hint,
            )
            return
        if not value:
            self.error(path, line, f"empty mapping for '{term.name}' in node '{owner}'", hint)
        for tag, text in value.items():
            tag_line = value.key_lines[tag]
            if not _LANG_TAG_RE.fullmatch(tag):
                self.error(
                    path,
                    tag_line,
                    f"invalid language tag '{excerpt(tag)}' in '{term.name}' of node '{owner}'",
                    "use a BCP 47 tag such as 'az', 'hy', 'ru' or 'hy-Latn'",
                )
            label = f"{term.name}.{tag}"
            for _, item, item_line in self.items(text, label, path, tag_line, owner):
                if not isinstance(item, str):
                    self.error(
                        path,
                        item_line,
                        f"'{excerpt(label)}' of node '{owner}' must be text, "
                        f"found {describe(item)}",
                    )

    # -- after all files

    def check_references(self) -> None:
        suggested = 0
        by_first_segment: dict[str, list[str]] | None = None
        base_len = len(self.ctx.base)
        for ref in self.references:
            if ref.iri in self.defined:
                continue
            hint = "no node in the data has this id"
            if suggested < MAX_SUGGESTED_REFERENCES:
                suggested += 1
                if by_first_segment is None:
                    by_first_segment = {}
                    for iri in self.defined:
                        rel = iri[base_len:]
                        by_first_segment.setdefault(rel.split("/", 1)[0], []).append(rel)
                rel = ref.iri[base_len:]
                candidates = by_first_segment.get(rel.split("/", 1)[0]) or [
                    r for group in by_first_segment.values() for r in group
                ]
                hint += _did_you_mean(rel, candidates)
            self.error(
                ref.path,
                ref.line,
                f"undefined reference '{excerpt(ref.raw)}' in '{ref.term}' of node '{ref.owner}'",
                hint,
            )


def _where(path: Path, line: int) -> str:
    return f"{display_path(path)}:{line}"


def _check_file(path: Path, checker: _Checker) -> YSeq:
    graph = check_top_level(read_yaml(path, checker.errors), path)
    checker.check_graph(graph, path)
    return graph


@dataclass
class CheckedData:
    """The records of every data file, checked, with their ids and references made absolute."""

    records: list[tuple[Any, Path]]  # (record, file)
    context: Context
    files: list[Path]
    defined: dict[str, tuple[Path, int]]  # node IRI -> where its record is
    order: dict[Path, int]  # file -> its position, to sort errors


def check_data(data_dir: str | os.PathLike[str], ontology: Graph) -> CheckedData:
    """Read and check every data file; raises InputError or DataErrors (see load_data)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(
            f"data directory '{data_dir.as_posix()}' does not exist",
            hint="pass --data DIR with the YAML-LD data files",
        )
    context = load_context(data_dir)
    files = data_files(data_dir)
    if not files:
        raise InputError(
            f"no *.yaml data files in '{data_dir.as_posix()}'",
            hint="pass --data DIR with the YAML-LD data files",
        )
    check_sizes(files, data_dir)
    checker = _Checker(context, ontology)
    records: list[tuple[Any, Path]] = []
    for path in files:
        records.extend((node, path) for node in _check_file(path, checker))
    checker.check_references()
    order = {p: i for i, p in enumerate(files)}
    if checker.errors:
        checker.errors.sort(key=lambda e: (order.get(e.path, -1), e.line or 0))
        raise DataErrors(checker.errors)
    return CheckedData(records, context, files, checker.defined, order)
