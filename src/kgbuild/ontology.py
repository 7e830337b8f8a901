"""Load the OWL ontology from ``*.ttl`` files."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from rdflib import BNode, Graph
from rdflib.compare import to_canonical_graph
from rdflib.plugins.parsers.notation3 import BadSyntax

from kgbuild.errors import InputError, first_line
from kgbuild.namespaces import bind_prefixes

__all__ = ["SHAPES_DIR", "load_ontology", "load_shapes", "load_turtle_files", "term_lines"]

SHAPES_DIR = "shapes"  # the SHACL shapes live in ontology/shapes/, apart from the ontology


def _first_bad_line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def load_ontology(ontology_dir: str | os.PathLike[str]) -> Graph:
    """Parse every ``*.ttl`` file directly in ``ontology_dir`` (sorted by name) into one graph.

    Its blank nodes (OWL axioms and lists) get content-derived labels, so every output that
    names them (N-Triples, the proofs of explain) is the same from run to run. Raises
    InputError for a missing directory, no Turtle files, bad UTF-8 or a syntax error.
    """
    parsed = load_turtle_files(
        Path(ontology_dir), "ontology", "pass --ontology DIR with the ontology's *.ttl files"
    )
    if not any(isinstance(term, BNode) for triple in parsed for term in triple):
        return parsed
    graph = bind_prefixes(Graph())
    graph += to_canonical_graph(parsed)
    return graph


def load_shapes(ontology_dir: str | os.PathLike[str]) -> Graph:
    """Parse the SHACL shapes, ``ontology_dir/shapes/*.ttl``."""
    return load_turtle_files(
        Path(ontology_dir) / SHAPES_DIR,
        "shapes",
        "pass --ontology DIR whose shapes/ folder holds the SHACL shapes",
    )


def load_turtle_files(directory: Path, what: str, hint: str) -> Graph:
    """Parse every ``*.ttl`` file directly in ``directory`` (sorted by name) into one graph."""
    if not directory.is_dir():
        raise InputError(f"{what} directory '{directory.as_posix()}' does not exist", hint=hint)
    files = sorted(p for p in directory.glob("*.ttl") if p.is_file())
    if not files:
        raise InputError(f"no *.ttl files in {what} directory '{directory.as_posix()}'", hint=hint)
    graph = bind_prefixes(Graph())
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror}", path=path) from exc
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                "file is not valid UTF-8",
                path=path,
                line=_first_bad_line(data, exc.start),
                hint="save it as UTF-8",
            ) from exc
        try:
            # The file URI is the base, as rdflib uses when parsing from a path.
            graph.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
        except BadSyntax as exc:
            # BadSyntax.lines counts the newlines before the error, so it is 0-based.
            raise InputError(
                # rdflib has no public accessor for the bare reason.
                f"Turtle syntax error: {getattr(exc, '_why', exc)}",
                path=path,
                line=exc.lines + 1,
                hint="fix the Turtle syntax",
            ) from exc
        except Exception as exc:  # rdflib raises assorted exception types for bad Turtle
            raise InputError(f"cannot parse Turtle: {first_line(exc)}", path=path) from exc
    return graph


# Where ontology terms are written

_PREFIX_RE = re.compile(r"\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.I)
_BASE_RE = re.compile(r"\s*(?:@base|BASE)\s+<([^>]*)>", re.I)
_SUBJECT_RE = re.compile(r"(<[^>\s]*>|[A-Za-z][\w.-]*:[^\s;,]*|:[^\s;,]*)")


def term_lines(path: Path) -> dict[str, int]:
    """IRI -> 1-based line of the first statement block in the Turtle file ``path`` that starts
    with it (a subject at the start of a line, as the ontology modules write every term); empty
    when the file cannot be read. Cached while the file is unchanged."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _term_lines(path, mtime)


@lru_cache(maxsize=64)
def _term_lines(path: Path, mtime_ns: int) -> dict[str, int]:
    """IRI -> 1-based line of the first statement block in ``path`` that starts with it
    (a subject at the start of a line, as the ontology modules write every term)."""
    lines: dict[str, int] = {}
    prefixes: dict[str, str] = {}
    base = ""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return lines
    for number, line in enumerate(text.splitlines(), start=1):
        if not line or line[0].isspace() or line[0] == "#":
            continue
        if m := _PREFIX_RE.match(line):
            prefixes[m.group(1) or ""] = m.group(2)
            continue
        if m := _BASE_RE.match(line):
            base = m.group(1)
            continue
        m = _SUBJECT_RE.match(line)
        if not m:
            continue
        token = m.group(1).rstrip(".")
        if token.startswith("<"):
            iri = token[1:-1]
            if base and not re.match(r"[A-Za-z][\w+.-]*:", iri):
                iri = base + iri
        else:
            prefix, _, local = token.partition(":")
            if prefix not in prefixes:
                continue
            iri = prefixes[prefix] + local.replace("\\", "")
        lines.setdefault(iri, number)
    return lines
