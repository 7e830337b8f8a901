"""Deterministic Turtle output and atomic file writes.

rdflib's Turtle serializer orders blank nodes by their random ids, so the same graph can come
out differently from one process to the next. This writer sorts everything (prefixes, subjects
with the owl:Ontology header first, predicates with rdf:type first, objects) and writes blank
nodes inline as ``[ ... ]`` and RDF lists as ``( ... )``, so the same graph always gives the
same bytes.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from kgbuild import __version__
from kgbuild.errors import InputError, display_path, first_line
from kgbuild.namespaces import ID_BASE, OWL, PREFIXES, RDF, XSD

__all__ = [
    "Staged",
    "StagedDirectory",
    "StagedFiles",
    "Triple",
    "atomic_write_bytes",
    "compact_terms",
    "ntriples_term",
    "relative_id",
    "serialize_turtle",
    "turtle_chunks",
    "turtle_parts",
    "write_error",
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
    failed run leaves the old files as they were and no temporary file behind.

    ``shown`` gives the path an error names for a path written (a file of a StagedDirectory is
    named by where it will be)."""

    def __init__(
        self,
        hint: str = "choose another --out directory",
        shown: Callable[[Path], Path] | None = None,
    ) -> None:
        self.hint = hint
        self.shown = shown or (lambda path: path)
        self.files: dict[Path, Staged] = {}

    def __enter__(self) -> StagedFiles:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.discard()

    def _unwritable(self, path: Path, exc: OSError) -> InputError:
        return write_error(self.shown(path), exc, self.hint)

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
                f"cannot write '{display_path(self.shown(path))}': "
                f"'{display_path(self.shown(blocker))}' exists and is not a directory",
                hint=self.hint,
            ) from exc
        except OSError as exc:
            raise self._unwritable(path, exc) from exc
        if path.is_dir():
            raise InputError(
                f"cannot write '{display_path(self.shown(path))}': it is a directory",
                hint=self.hint,
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


def disk_full(exc: BaseException) -> str | None:
    """What the system says when ``exc`` means the disk (or the user's quota) is full, however
    the library that raised it words it (an errno, RocksDB's or SQLite's text); else None."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return os.strerror(exc.errno)
    text = str(exc)
    if "Disk quota exceeded" in text:
        return os.strerror(errno.EDQUOT)
    if "No space left on device" in text or "database or disk is full" in text:
        return os.strerror(errno.ENOSPC)
    return None


def write_error(
    path: Path, exc: BaseException, hint: str = "choose another --out directory"
) -> InputError:
    """The one-line error for ``path``, which could not be written: that the disk is full
    when it is, else what the system said."""
    full = disk_full(exc)
    if full is not None:
        return InputError(
            f"cannot write '{display_path(path)}': the disk is full ({full})",
            hint=f"free some space or {hint}",
        )
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else first_line(exc)
    return InputError(f"cannot write '{display_path(path)}': {why}", hint=hint)


# renameat2(2)'s flag that swaps two paths in one step (Linux 3.15 and later, on ext4, XFS,
# Btrfs, tmpfs and most other local file systems).
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_NO_EXCHANGE = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP}


def exchange_paths(a: Path, b: Path) -> bool:
    """Swap the directories ``a`` and ``b`` in one atomic step; False, with nothing changed,
    where the system or the file system cannot. OSError for any other failure."""
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):  # not Linux, or a C library without it
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(b))


def _lock(directory: Path, wait: bool) -> int | None:
    """An open descriptor of ``directory`` holding an exclusive lock on it, which a killed
    process loses at once; None when another process holds it (and not ``wait``)."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        import fcntl
    except ImportError:  # Windows: no locks, and no concurrent builds to tell apart
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _fsync_tree(root: Path) -> None:
    """fsync every file and directory under ``root`` (what a database wrote included), so
    that what is switched in is on the disk, not only in the page cache."""
    for directory, _, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(directory, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_directory(Path(directory))


class StagedDirectory:
    """A whole output directory written anew beside ``target`` and switched in at once.

    Construction checks ``target`` (see ``check``; it may be missing) and removes what killed
    runs left beside it (hidden siblings ``.NAME.new-*`` and ``.NAME.old-*`` that no running
    build holds), making nothing. Entering makes the new directory ``path``
    (``.NAME.new-XXXXXXXX``, on the same file system, with the mode of ``target``), locked
    while this process lives.
    ``commit`` swaps it with ``target`` by one rename (renameat2 RENAME_EXCHANGE), so a reader
    sees the old directory or the new one, never a mix, and then removes the old one. Where
    the system cannot swap, ``target`` is moved aside and the new directory moved in: two
    renames, between which ``target`` is briefly missing. Leaving the block without a commit
    removes the new directory.

    Only entries that ``owned`` accepts are ever removed: an entry of ``target`` it does not
    accept is refused (InputError) before anything is written, since the switch would take it
    away with the old directory."""

    def __init__(
        self,
        target: Path,
        owned: Callable[[Path], bool],
        hint: str = "choose another --out directory",
    ) -> None:
        self.target = Path(target)  # as given, for messages
        self.real = Path(os.path.realpath(self.target))  # a symbolic link is followed
        self.owned = owned
        self.hint = hint
        self.path: Path | None = None
        self._lock: int | None = None
        self.check()
        self._remove_leftovers()

    # -- checks

    def check(self) -> None:
        """InputError when ``target`` cannot be switched: it is a mount point, or it holds
        an entry that is not ``owned``."""
        if not self.real.is_dir():
            return
        if self.real == self.real.parent or (
            os.stat(self.real).st_dev != os.stat(self.real.parent).st_dev
        ):
            raise InputError(
                f"cannot build into '{display_path(self.target)}': it is a mount point, and a "
                "build writes its new output directory beside the old one and swaps the two",
                hint=f"build into a directory inside it (--out {display_path(self.target)}/dist)",
            )
        foreign = sorted(e.name for e in os.scandir(self.real) if not self.owned(Path(e.path)))
        if foreign:
            more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
            raise InputError(
                f"cannot build into '{display_path(self.target)}': "
                f"'{display_path(self.target / foreign[0])}'{more} was not written by kgbuild, "
                "and a build replaces the whole directory",
                hint="move it elsewhere or choose another --out directory",
            )

    def _siblings(self) -> Iterator[Path]:
        pattern = re.compile(rf"\.{re.escape(self.real.name)}\.(?:new|old)-[0-9a-f]{{8}}")
        try:
            entries = list(os.scandir(self.real.parent))
        except OSError:
            return
        for entry in entries:
            if pattern.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                yield Path(entry.path)

    def _remove_leftovers(self) -> None:
        for leftover in self._siblings():
            if leftover == self.path:
                continue
            try:
                fd = _lock(leftover, wait=False)
            except OSError:
                continue
            if fd is None:
                continue  # a build running now is writing it
            try:
                self._remove(leftover)
            finally:
                os.close(fd)

    def _remove(self, directory: Path) -> None:
        """Remove what ``owned`` accepts in ``directory``, then the directory when that left
        it empty; best effort."""
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return
        for entry in entries:
            path = Path(entry.path)
            if not self.owned(path):
                continue
            with contextlib.suppress(OSError):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(path)
                else:
                    path.unlink()
        with contextlib.suppress(OSError):
            directory.rmdir()

    # -- writing

    def shown(self, path: Path) -> Path:
        """The path an error names for ``path``: where it will be once switched in."""
        if self.path is not None:
            with contextlib.suppress(ValueError):
                return self.target / path.relative_to(self.path)
        return path

    def __enter__(self) -> StagedDirectory:
        parent = self.real.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            mode = stat.S_IMODE(os.stat(self.real).st_mode) if self.real.is_dir() else None
            while True:
                path = parent / f".{self.real.name}.new-{secrets.token_hex(4)}"
                try:
                    os.mkdir(path)
                    break
                except FileExistsError:
                    continue
            if mode is not None:
                os.chmod(path, mode)
            self._lock = _lock(path, wait=True)
        except OSError as exc:
            raise InputError(
                f"cannot build into '{display_path(self.target)}': its new version cannot be "
                f"made beside it in '{display_path(parent)}' ({disk_full(exc) or exc.strerror})",
                hint=self.hint,
            ) from exc
        self.path = path
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.path is not None:
            self._remove(self.path)  # not committed: all of it is this build's
            self.path = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def commit(self) -> None:
        """Switch the new directory in and remove the old one."""
        assert self.path is not None, "commit outside the with block"
        new, old = self.path, None
        try:
            _fsync_tree(new)
            self.check()  # an entry that appeared during the build is not taken away with it
            if not self.real.exists():
                os.rename(new, self.real)
            elif exchange_paths(new, self.real):
                old = new
            else:
                old = self.real.parent / f".{self.real.name}.old-{secrets.token_hex(4)}"
                os.rename(self.real, old)
                try:
                    os.rename(new, self.real)
                except OSError:
                    os.rename(old, self.real)
                    raise
            self.path = None  # switched in: no longer the new directory to remove on exit
            _fsync_directory(self.real.parent)
        except OSError as exc:
            raise write_error(self.target, exc, self.hint) from exc
        if old is not None:
            self._remove(old)


def write_turtle(graph: Graph, path: str | os.PathLike[str], **options: object) -> bytes:
    """Serialise ``graph`` deterministically and write it atomically to ``path``."""
    data = serialize_turtle(graph, **options)  # type: ignore[arg-type]
    atomic_write_bytes(path, data)
    return data
