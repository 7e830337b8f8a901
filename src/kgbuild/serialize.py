"""Deterministic Turtle output and atomic file writes.

rdflib's Turtle serializer orders blank nodes by their random ids, so the same graph can come
out differently from one process to the next. This writer sorts everything (prefixes, subjects
with the owl:Ontology header first, predicates with rdf:type first, objects) and writes blank
nodes inline as ``[ ... ]`` and RDF lists as ``( ... )``, so the same graph always gives the
same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from kgbuild import __version__
from kgbuild.errors import InputError, display_path
from kgbuild.namespaces import ID_BASE, OWL, PREFIXES, RDF, XSD

__all__ = [
    "Staged",
    "StagedFiles",
    "Triple",
    "atomic_write_bytes",
    "compact_terms",
    "ntriples_term",
    "relative_id",
    "serialize_turtle",
    "turtle_chunks",
    "turtle_parts",
    "write_turtle",
]

Triple = tuple[Node, Node, Node]

HEADER = (
    f"# kgbuild {__version__}: knowledge graph built from ontology/*.ttl and data/**/*.yaml.\n"
    "# Generated file: edit the sources and run `kgbuild build` instead of editing this.\n"
)
# Past this width, the objects of one predicate go on separate lines.
LINE_WIDTH = 100

# A prefixed name is only used when the local part needs no escaping.
_PN_LOCAL_RE = re.compile(r"(?:[A-Za-z_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?")
# IRIs under @base are written relative when that cannot change their meaning.
_RELATIVE_RE = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*(?:/[A-Za-z0-9._~-]+)*")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")

_STRING_ESCAPES = {
    ord("\\"): "\\\\",
    ord('"'): '\\"',
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
    ord("\b"): "\\b",
    ord("\f"): "\\f",
}
for _c in [*range(0x20), 0x7F]:
    _STRING_ESCAPES.setdefault(_c, f"\\u{_c:04X}")
_IRI_ESCAPES = {c: f"\\u{c:04X}" for c in [*range(0x21), *map(ord, '<>"{}|^`\\')]}


def relative_id(iri: str, base: str | None) -> str | None:
    """``iri`` relative to ``base`` when that reads back unambiguously (``place/x``: no colon,
    query, fragment or dot segment), else None."""
    if not base or not iri.startswith(base):
        return None
    rel = iri[len(base) :]
    if _RELATIVE_RE.fullmatch(rel) and all(s not in (".", "..") for s in rel.split("/")):
        return rel
    return None


def ntriples_term(node: Node, string_escapes: Mapping[int, str] | None = None) -> str:
    """``node`` in N-Triples syntax (strings escaped with ``string_escapes`` when given, else
    as in Turtle: the short escapes, and ``\\u`` for other control characters)."""
    if isinstance(node, URIRef):
        return f"<{str(node).translate(_IRI_ESCAPES)}>"
    if isinstance(node, BNode):
        return f"_:{node}"
    if isinstance(node, Literal):
        escapes = _STRING_ESCAPES if string_escapes is None else string_escapes
        text = f'"{str(node).translate(escapes)}"'
        if node.language:
            return f"{text}@{node.language}"
        if node.datatype is not None and node.datatype != XSD.string:
            return f"{text}^^<{str(node.datatype).translate(_IRI_ESCAPES)}>"
        return text
    raise TypeError(f"cannot write {node!r} as N-Triples")


_TYPE = RDF.type  # rdflib namespaces are slow to ask, and this is asked for every predicate
_TYPE_TEXT = str(RDF.type)


def _predicate_order(predicate: Node) -> tuple[bool, str]:
    """rdf:type first, then by IRI."""
    text = str(predicate)
    return text != _TYPE_TEXT, text


class _NeedLabels(Exception):
    """The graph has blank nodes that cannot be written inline (shared or cyclic)."""


class _Writer:
    def __init__(
        self,
        triples: Iterable[Triple],
        prefixes: Mapping[str, str],
        base: str | None,
        labelled: bool,
    ) -> None:
        # subject -> predicate -> objects; built once, since rdflib's lookups cost more than
        # the writing itself on a large graph.
        self.index: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        for s, p, o in triples:
            self.index[s][p].add(o)
        # Longest namespace first; IRIs under @base are written relative, not prefixed.
        self.prefixes = {p: ns for p, ns in prefixes.items() if ns != base}
        self.namespaces = sorted(
            ((ns, p) for p, ns in self.prefixes.items()), key=lambda x: (-len(x[0]), x[1])
        )
        self.base = base
        self.labelled = labelled
        self.used_prefixes: set[str] = set()
        self.used_base = False
        self.refs: Counter[BNode] = Counter(
            o
            for predicates in self.index.values()
            for objects in predicates.values()
            for o in objects
            if isinstance(o, BNode)
        )
        self.emitted: set[BNode] = set()
        self.visiting: set[BNode] = set()
        self.texts: dict[Node, str] = {}  # IRIs and literals already written

    # -- terms

    def iri(self, iri: str) -> str:
        for namespace, prefix in self.namespaces:
            if iri.startswith(namespace):
                local = iri[len(namespace) :]
                if _PN_LOCAL_RE.fullmatch(local):
                    self.used_prefixes.add(prefix)
                    return f"{prefix}:{local}"
        rel = relative_id(iri, self.base)
        if rel is not None:
            self.used_base = True
            return f"<{rel}>"
        return f"<{iri.translate(_IRI_ESCAPES)}>"

    def literal(self, lit: Literal) -> str:
        lexical = str(lit)
        datatype = lit.datatype
        if datatype == XSD.integer and _INTEGER_RE.fullmatch(lexical):
            return lexical
        if datatype == XSD.boolean and lexical in ("true", "false"):
            return lexical
        text = f'"{lexical.translate(_STRING_ESCAPES)}"'
        if lit.language:
            return f"{text}@{lit.language}"
        if datatype is not None:
            return f"{text}^^{self.iri(str(datatype))}"
        return text

    def term(self, node: Node) -> str:
        text = self.texts.get(node)
        if text is not None:
            return text
        if isinstance(node, URIRef):
            text = self.texts[node] = self.iri(str(node))
            return text
        if isinstance(node, Literal):
            text = self.texts[node] = self.literal(node)
            return text
        if isinstance(node, BNode):
            if self.labelled:
                return f"_:{node}"
            if self.refs[node] != 1 or node in self.visiting:
                raise _NeedLabels
            return self.inline(node)
        raise TypeError(f"cannot write {node!r} as Turtle")

    # -- blank nodes

    def rdf_list(self, node: BNode) -> list[Node] | None:
        """The items of the well-formed RDF list starting at ``node``, else None."""
        items: list[Node] = []
        seen: set[Node] = set()
        while node != RDF.nil:
            if not isinstance(node, BNode) or node in seen or self.refs[node] != 1:
                return None
            seen.add(node)
            predicates = self.index.get(node, {})
            if set(predicates) != {RDF.first, RDF.rest} or any(
                len(objects) != 1 for objects in predicates.values()
            ):
                return None
            items.append(next(iter(predicates[RDF.first])))
            node = next(iter(predicates[RDF.rest]))
        self.emitted.update(seen)  # type: ignore[arg-type]
        return items

    def inline(self, node: BNode) -> str:
        self.emitted.add(node)
        self.visiting.add(node)
        try:
            items = self.rdf_list(node)
            if items is not None:
                return "( " + " ".join(self.term(i) for i in items) + " )" if items else "()"
            parts = [f"{pred} {', '.join(objs)}" for pred, objs in self.predicate_objects(node)]
            return "[ " + " ; ".join(parts) + " ]" if parts else "[]"
        finally:
            self.visiting.discard(node)

    # -- statements

    def predicate_objects(self, subject: Node) -> list[tuple[str, list[str]]]:
        grouped = self.index.get(subject, {})
        result = []
        term = self.term
        for pred in sorted(grouped, key=_predicate_order):
            name = "a" if pred == _TYPE else term(pred)
            result.append((name, sorted([term(o) for o in grouped[pred]])))
        return result

    def statement(self, subject_text: str, subject: Node) -> str:
        lines = []
        pairs = self.predicate_objects(subject)
        for i, (pred, objs) in enumerate(pairs):
            lead = subject_text + " " if i == 0 else "    "
            end = " ." if i == len(pairs) - 1 else " ;"
            one_line = f"{lead}{pred} {', '.join(objs)}{end}"
            if len(objs) == 1 or len(one_line) <= LINE_WIDTH:
                lines.append(one_line)
            else:
                lines.append(f"{lead}{pred} {objs[0]} ,")
                lines.extend(f"        {o} ," for o in objs[1:-1])
                lines.append(f"        {objs[-1]}{end}")
        return "\n".join(lines)

    def body(self) -> list[str]:
        headers = {
            s
            for s, predicates in self.index.items()
            if isinstance(s, URIRef) and OWL.Ontology in predicates.get(RDF.type, ())
        }
        named: set[URIRef] = set()
        blank: set[BNode] = set()
        for s in self.index:
            if isinstance(s, URIRef):
                named.add(s)
            elif isinstance(s, BNode):
                blank.add(s)
        blocks = []
        for s in sorted(named, key=lambda s: (s not in headers, str(s))):
            blocks.append(self.statement(self.term(s), s))
        if self.labelled:
            blocks.extend(self.statement(f"_:{b}", b) for b in sorted(blank, key=str))
            return blocks
        roots = []
        for b in blank:
            if self.refs[b] == 0:
                # Unreferenced blank nodes (owl:AllDisjointClasses, ...) become '[] p o .'
                # statements; this also covers an unreferenced list head, since '( ... ) .'
                # alone is not valid Turtle.
                self.emitted.add(b)
                self.visiting.add(b)
                roots.append(self.statement("[]", b))
                self.visiting.discard(b)
        if set(blank) - self.emitted:
            raise _NeedLabels  # blank nodes reachable only through a cycle
        blocks.extend(sorted(roots))
        return blocks

    def parts(self, header: str) -> tuple[str, list[str]]:
        """The document's head (``header``, @base and the @prefix lines it uses) and its
        statements; ``document`` joins them."""
        body = self.body()
        head = [header.rstrip("\n")] if header else []
        if self.used_base and self.base:
            head.append(f"@base <{self.base}> .")
        head.extend(
            f"@prefix {p}: <{ns}> ."
            for p, ns in sorted(self.prefixes.items())
            if p in self.used_prefixes
        )
        return "\n".join(head), body

    def document(self, header: str) -> str:
        return "".join(_joined(*self.parts(header)))


def _joined(head: str, body: list[str]) -> Iterator[str]:
    """``head``, a blank line, the statements of ``body`` separated by blank lines, a newline."""
    yield head + "\n\n"
    for i, block in enumerate(body):
        yield block if i == 0 else "\n\n" + block
    yield "\n"


def serialize_turtle(
    graph: Graph | Iterable[Triple],
    prefixes: Mapping[str, str] = PREFIXES,
    base: str | None = ID_BASE,
    header: str = HEADER,
) -> bytes:
    """Turtle for ``graph`` (a graph or any triples, duplicates allowed) as UTF-8 bytes,
    identical for isomorphic-by-content inputs.

    Blank nodes that are shared or cyclic cannot be written inline; then the graph is
    canonicalised (rdflib.compare) and every blank node gets a stable ``_:`` label.
    """
    return "".join(turtle_chunks(graph, prefixes, base, header)).encode("utf-8")


def turtle_chunks(
    graph: Graph | Iterable[Triple],
    prefixes: Mapping[str, str] = PREFIXES,
    base: str | None = ID_BASE,
    header: str = HEADER,
) -> Iterator[str]:
    """``serialize_turtle``'s text in pieces (the head, then one statement at a time), to be
    written out without joining a large graph's text in memory."""
    return _joined(*turtle_parts(graph, prefixes, base, header))


def turtle_parts(
    graph: Graph | Iterable[Triple],
    prefixes: Mapping[str, str] = PREFIXES,
    base: str | None = ID_BASE,
    header: str = HEADER,
) -> tuple[str, list[str]]:
    """The head (``header``, @base and the @prefix lines used) and the statements of
    ``serialize_turtle``'s text."""
    triples = graph if isinstance(graph, Graph) else list(graph)
    try:
        return _Writer(triples, prefixes, base, labelled=False).parts(header)
    except _NeedLabels:
        whole = graph if isinstance(graph, Graph) else _graph_of(triples)
        canonical = to_canonical_graph(whole)  # stable, content-derived blank node labels
        return _Writer(canonical, prefixes, base, labelled=True).parts(header)


def compact_terms(prefixes: Mapping[str, str], base: str | None) -> Callable[[Node], str]:
    """A function that writes an IRI or a literal as the Turtle writer does (prefixed names,
    IRIs relative to ``base``), for messages and tables."""
    return _Writer((), prefixes, base, labelled=True).term


def _graph_of(triples: Iterable[Triple]) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, hint: str = "choose another --out directory"
) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file in the same directory, fsync,
    then os.replace. On failure the old file is untouched and no temporary file is left.
    Creates missing parent directories. Raises InputError (with ``hint``) when the path cannot
    be written.
    """
    with StagedFiles(hint) as staged:
        staged.write(Path(path), data)
        staged.commit()


@dataclass(frozen=True)
class Staged:
    """A file written under a temporary name, waiting to be moved to ``target``."""

    target: Path
    temporary: Path
    size: int
    sha256: str


class StagedFiles:
    """Files written beside their targets under temporary names (fsynced, so they can be large
    and need not stay in memory), then moved into place one after the other by ``commit``.
    Leaving the ``with`` block without a commit, by an error or not, removes them all, so a
    failed run leaves the old files as they were and no temporary file behind."""

    def __init__(self, hint: str = "choose another --out directory") -> None:
        self.hint = hint
        self.files: dict[Path, Staged] = {}

    def __enter__(self) -> StagedFiles:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.discard()

    def _unwritable(self, path: Path, exc: OSError) -> InputError:
        return InputError(
            f"cannot write '{display_path(path)}': {exc.strerror or str(exc)}", hint=self.hint
        )

    def temporary(self, path: Path) -> Path:
        """A new empty temporary file beside ``path`` (its directories made), to be filled by
        the caller and handed to ``add``."""
        self.prepare(path)
        try:
            fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as exc:
            raise self._unwritable(path, exc) from exc
        os.close(fd)
        return Path(name)

    def prepare(self, path: Path) -> None:
        """Make the directories of ``path``; InputError when it cannot be written there."""
        directory = path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            # The first ancestor that is in the way: a regular file where a directory should be.
            blocker = next(
                (p for p in (directory, *directory.parents) if p.exists() and not p.is_dir()),
                Path(exc.filename or directory),
            )
            raise InputError(
                f"cannot write '{display_path(path)}': '{display_path(blocker)}' "
                "exists and is not a directory",
                hint=self.hint,
            ) from exc
        except OSError as exc:
            raise self._unwritable(path, exc) from exc
        if path.is_dir():
            raise InputError(
                f"cannot write '{display_path(path)}': it is a directory", hint=self.hint
            )

    def write(self, path: Path, data: bytes | Iterable[str | bytes]) -> Staged:
        """Stage ``data`` (bytes, or pieces of text or bytes written one after the other, text
        as UTF-8) as the next content of ``path``."""
        temporary = self.temporary(path)
        digest = hashlib.sha256()
        size = 0
        try:
            with temporary.open("wb", buffering=1 << 20) as handle:
                for piece in [data] if isinstance(data, bytes) else data:
                    chunk = piece.encode("utf-8") if isinstance(piece, str) else piece
                    handle.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            if isinstance(exc, OSError):
                raise self._unwritable(path, exc) from exc
            raise
        return self.add(path, temporary, digest.hexdigest(), size)

    def add(self, path: Path, temporary: Path, sha256: str | None = None, size: int = -1) -> Staged:
        """Stage the finished file ``temporary`` (from ``temporary()``) as ``path``; its hash and
        size are read from it unless given."""
        try:
            if sha256 is None:
                digest = hashlib.sha256()
                size = 0
                with temporary.open("rb") as handle:
                    for chunk in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(chunk)
                        size += len(chunk)
                sha256 = digest.hexdigest()
            with temporary.open("rb+") as handle:
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o644)  # mkstemp makes it 0600; the output is a normal file
        except OSError as exc:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise self._unwritable(path, exc) from exc
        old = self.files.pop(path, None)
        if old is not None:
            with contextlib.suppress(FileNotFoundError):
                old.temporary.unlink()
        staged = self.files[path] = Staged(path, temporary, size, sha256)
        return staged

    def commit(self, first: Iterable[Path] = (), last: Iterable[Path] = ()) -> list[Path]:
        """Move every staged file into place: the targets ``first``, the others in the order
        staged, then ``last``; returns their paths in that order."""
        first, last = list(first), list(last)
        middle = [p for p in self.files if p not in first and p not in last]
        done: list[Path] = []
        for staged in [self.files[p] for p in [*first, *middle, *last]]:
            try:
                os.replace(staged.temporary, staged.target)
            except OSError as exc:
                raise self._unwritable(staged.target, exc) from exc
            del self.files[staged.target]
            done.append(staged.target)
        for directory in dict.fromkeys(path.parent for path in done):
            _fsync_directory(directory)
        return done

    def discard(self) -> None:
        for staged in self.files.values():
            with contextlib.suppress(FileNotFoundError):
                staged.temporary.unlink()
        self.files.clear()


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform, so best effort.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_turtle(graph: Graph, path: str | os.PathLike[str], **options: object) -> bytes:
    """Serialise ``graph`` deterministically and write it atomically to ``path``."""
    data = serialize_turtle(graph, **options)  # type: ignore[arg-type]
    atomic_write_bytes(path, data)
    return data
