"""dist/: what ``kgbuild build`` writes there, and the one place the other commands read it.

``build`` reasons once and writes the files users load elsewhere (kg.ttl, inferred.ttl,
kg-closure.ttl, kg.nt, kg.jsonld, kg.trig, void.ttl) and, for kgbuild's own commands:

- ``manifest.json``: the SHA-256 of every input file (ontology, shapes, data) and of every
  output, the directories the inputs were read from (relative to dist/), the reasoner that ran
  and the summary ``kgbuild stats`` prints. Written last, so a build that did not finish has
  none, or an old one that no longer matches the files.
- ``index.sqlite``: the derivation of every inferred triple (for ``kgbuild explain``), the
  names and labels of nodes (to resolve parameters given by name) and the file and line of
  every record (to point at them).
- ``store/``: an Oxigraph database holding kg-closure.ttl as its default graph and kg.ttl as
  the named graph ``ASSERTED_GRAPH``, so a query opens it in milliseconds instead of parsing
  Turtle and reasoning. It is rebuilt from those two files whenever their hashes differ from
  the ones it records.

``open_build`` checks a build before anything reads it: a missing dist/, a missing or older
manifest, an output that no longer matches it, or an input that changed since the build is an
InputError that says to run ``kgbuild build``. ``query``, ``explain``, ``stats``, ``serve`` and
``push`` read dist/ only through it and never reason again. It opens the directory and every
output in it at once, so a build that switches a new dist/ in meanwhile (``build`` writes the
whole directory anew and swaps it in, see ``serialize.StagedDirectory``) changes nothing of
what they read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import tempfile
import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from kgbuild.dist_files import (
    CLOSURE_FILE,
    INDEX_FILE,
    INFERRED_FILE,
    KG_FILE,
    MANIFEST_FILE,
    STORE_DIR,
    TRIG_FILE,
)
from kgbuild.errors import InputError, KgbuildError, display_path, first_line
from kgbuild.terms import term_from_parts, term_parts

__all__ = [
    "ASSERTED_GRAPH",
    "CLOSURE_FILE",
    "INDEX_FILE",
    "INFERRED_FILE",
    "KG_FILE",
    "MANIFEST_FILE",
    "MEMORY_STORE_LIMIT",
    "STORE_DIR",
    "TRIG_FILE",
    "Build",
    "ProofIndex",
    "input_files",
    "manifest_bytes",
    "open_build",
    "sha256",
    "write_index",
    "write_store",
]

STORE_STAMP = "kgbuild.json"  # inside store/: the hashes of the files it was loaded from
ASSERTED_GRAPH = "https://w3id.org/kgbuild/graph/asserted"
# Up to this size of kg-closure.ttl (about 35 times the first report's data) a query parses the
# build into memory rather than opening the on-disk store (see Build.store).
MEMORY_STORE_LIMIT = 8 * 2**20
MANIFEST_FORMAT = 1

RUN_BUILD = "run `kgbuild build`"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Writing


def input_files(ontology_dir: Path, data_dir: Path) -> dict[str, Path]:
    """Every file a build reads, by a stable name: ``ontology/NAME.ttl``,
    ``ontology/shapes/NAME.ttl``, ``data/context.jsonld`` and ``data/PATH.yaml``."""
    from kgbuild.load import CONTEXT_FILE, data_files
    from kgbuild.ontology import SHAPES_DIR

    files: dict[str, Path] = {}
    for path in sorted(ontology_dir.glob("*.ttl")):
        files[f"ontology/{path.name}"] = path
    for path in sorted((ontology_dir / SHAPES_DIR).glob("*.ttl")):
        files[f"ontology/{SHAPES_DIR}/{path.name}"] = path
    files[f"data/{CONTEXT_FILE}"] = data_dir / CONTEXT_FILE
    for path in data_files(data_dir):
        files[f"data/{path.relative_to(data_dir).as_posix()}"] = path
    return dict(sorted(files.items()))


def _relative_to(directory: Path, out_dir: Path) -> str:
    try:
        return Path(os.path.relpath(directory.resolve(), out_dir.resolve())).as_posix()
    except ValueError:  # another drive
        return directory.resolve().as_posix()


def manifest_bytes(
    ontology_dir: Path,
    data_dir: Path,
    out_dir: Path,
    outputs: Mapping[str, tuple[int, str]],
    details: Mapping[str, Any],
) -> bytes:
    """The manifest of a build: inputs and outputs (name -> (bytes, SHA-256)) with their
    hashes, plus ``details``."""
    from kgbuild import __version__

    inputs = {
        name: _file_sha256(path) for name, path in input_files(ontology_dir, data_dir).items()
    }
    doc = {
        "format": MANIFEST_FORMAT,
        "generator": f"kgbuild {__version__}",
        "inputs": {
            "ontology": _relative_to(ontology_dir, out_dir),
            "data": _relative_to(data_dir, out_dir),
            "files": inputs,
        },
        "outputs": {
            name: {"bytes": size, "sha256": digest}
            for name, (size, digest) in sorted(outputs.items())
        },
        **details,
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


_SCHEMA = """
CREATE TABLE term (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL,
                   extra TEXT NOT NULL);
CREATE UNIQUE INDEX term_by_value ON term (value, kind, extra);
CREATE TABLE derivation (s INTEGER, p INTEGER, o INTEGER, rule TEXT NOT NULL,
                         round INTEGER NOT NULL, premises TEXT NOT NULL,
                         PRIMARY KEY (s, p, o)) WITHOUT ROWID;
CREATE TABLE list (head INTEGER PRIMARY KEY, members TEXT NOT NULL);
CREATE TABLE name (key TEXT NOT NULL, node INTEGER NOT NULL,
                   PRIMARY KEY (key, node)) WITHOUT ROWID;
CREATE TABLE label (node INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE location (node INTEGER PRIMARY KEY, dir TEXT NOT NULL, file TEXT NOT NULL,
                       line INTEGER NOT NULL);
"""


def write_index(
    path: Path,
    reasoner: Any,
    names: Iterable[tuple[str, Node]],
    labels: Mapping[Node, str],
    locations: Iterable[tuple[Node, str, str, int]],
) -> None:
    """Write the index database to the new file ``path`` (the caller moves it into place): the
    terms and derivations of ``reasoner`` (a ``rules.Reasoner``), the (casefolded name, node)
    pairs, the first label of each node, and the (node, "data" or "ontology", file, line) of
    records."""
    connection = sqlite3.connect(path)
    try:
        # A new file, moved into place only when complete: no journal, no syncs.
        connection.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
        connection.executescript(_SCHEMA)
        terms = reasoner.term_table()
        ids = {term: i for i, term in enumerate(terms)}
        connection.executemany(
            "INSERT INTO term VALUES (?, ?, ?, ?)",
            ((i, *term_parts(term)) for i, term in enumerate(terms)),
        )
        connection.executemany(
            "INSERT INTO derivation VALUES (?, ?, ?, ?, ?, ?)",
            (
                (s, p, o, rule, round_, " ".join(str(i) for ids_ in premises for i in ids_))
                for (s, p, o), rule, round_, premises in reasoner.id_records()
            ),
        )
        connection.executemany(
            "INSERT INTO list VALUES (?, ?)",
            ((head, " ".join(map(str, members))) for head, members in reasoner.id_lists()),
        )
        connection.executemany(
            "INSERT OR IGNORE INTO name VALUES (?, ?)",
            sorted((key, ids[node]) for key, node in names if node in ids),
        )
        connection.executemany(
            "INSERT INTO label VALUES (?, ?)",
            sorted((ids[node], text) for node, text in labels.items() if node in ids),
        )
        # The first location given for a node wins (a term's defining module before the modules
        # that only add axioms about it): sorted by node alone, the sort keeps that order.
        connection.executemany(
            "INSERT OR IGNORE INTO location VALUES (?, ?, ?, ?)",
            sorted(
                ((ids[node], d, f, line) for node, d, f, line in locations if node in ids),
                key=lambda row: row[0],
            ),
        )
        connection.commit()
    finally:
        connection.close()


def write_store(
    out_dir: Path, closure: bytes | tuple[Path, str], asserted: bytes | tuple[Path, str]
) -> Path:
    """(Re)write ``out_dir/store``: ``closure`` (Turtle) as the default graph and ``asserted``
    (Turtle) as ASSERTED_GRAPH, with a stamp of their hashes; each is given as bytes or as
    (file, SHA-256), and must be Turtle as kgbuild writes it (see ``_turtle_parts``). Written
    beside and moved into place, so a reader never opens half a store."""
    target = out_dir / STORE_DIR
    tmp = Path(tempfile.mkdtemp(dir=out_dir, prefix=".store-"))

    def load(store: Any, content: bytes | tuple[Path, str], graph: Any = None) -> str:
        options: dict[str, Any] = {"format": ox.RdfFormat.TURTLE}
        if graph is not None:
            options["to_graph"] = graph
        text = content if isinstance(content, bytes) else content[0].read_bytes()
        for part in _turtle_parts(text):
            store.bulk_load(part, **options)
        return sha256(text) if isinstance(content, bytes) else content[1]

    try:
        store = ox.Store(str(tmp))
        stamp = {
            CLOSURE_FILE: load(store, closure),
            KG_FILE: load(store, asserted, ox.NamedNode(ASSERTED_GRAPH)),
        }
        store.flush()
        store.optimize()
        del store
        (tmp / STORE_STAMP).write_text(json.dumps(stamp, sort_keys=True) + "\n", encoding="utf-8")
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(dir=out_dir, prefix=".store-old-"))
            os.replace(target, old / STORE_DIR)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


# Turtle per bulk load. Oxigraph's bulk loader holds about ten times its input in memory; in
# parts of this size a hundred times the real data loads in a fifth of the memory, and faster.
_STORE_PART_BYTES = 4 << 20


def _turtle_parts(text: bytes) -> Iterator[bytes]:
    """``text``, Turtle as ``serialize.serialize_turtle`` writes it, in parts that each parse
    alone: its header (comments, @base and @prefix lines, up to the first blank line), then
    whole statements (which blank lines separate, and which hold their blank nodes inline).
    A file with labelled blank nodes (lines starting ``_:``, which may be shared between
    statements) is given whole."""
    head_end = text.find(b"\n\n")
    if head_end < 0 or b"\n_:" in text:
        yield text
        return
    header = text[: head_end + 2]
    start = head_end + 2
    while start < len(text):
        end = text.find(b"\n\n", start + _STORE_PART_BYTES)
        end = len(text) if end < 0 else end + 2
        yield header + text[start:end]
        start = end


# --------------------------------------------------------------------------------------------
# Reading


@dataclass
class Build:
    """A checked build in ``out``: its manifest, and the ways to read it.

    It reads the directory ``out`` was when it was opened: every output is opened at once (see
    ``open_build``) and the store is found through the directory's open descriptor, so a build
    that switches a new ``out`` in meanwhile changes nothing of what this one reads."""

    out: Path
    manifest: dict[str, Any]
    _root: Path | None = field(default=None, repr=False)  # the directory as opened; None: out
    _files: dict[str, int] = field(default_factory=dict, repr=False)  # name -> descriptor
    _dir_fd: int | None = field(default=None, repr=False)
    _store: Any = field(default=None, repr=False)
    _store_location: Path | None = field(default=None, repr=False)
    _graphs: dict[bool, Graph] = field(default_factory=dict, repr=False)
    _index: ProofIndex | None = field(default=None, repr=False)

    def path(self, name: str) -> Path:
        return self.out / name

    @property
    def summary(self) -> dict[str, Any]:
        return self.manifest.get("summary", {})

    @property
    def reasoner(self) -> str:
        return str(self.manifest.get("reasoner", ""))

    def input_dir(self, which: str) -> Path:
        """Where the ``ontology`` or ``data`` of the build were read from."""
        return self.out / self.manifest["inputs"][which]

    def _pinned(self, name: str) -> Path:
        """Where ``name`` is opened to be read: in the directory as it was opened."""
        return (self._root or self.out) / name

    def _file_path(self, name: str) -> Path:
        """A path that opens the very file ``open_build`` opened as ``name``, for libraries
        that take a path (SQLite); ``_pinned`` where the system has no /proc/self/fd."""
        fd = self._files.get(name)
        if fd is not None:
            proc = Path(f"/proc/self/fd/{fd}")
            if proc.exists():
                return proc
        return self._pinned(name)

    def _replaced(self) -> bool:
        """Whether the directory this build was opened from has been removed since (another
        build switched a new one in)."""
        if self._dir_fd is None:
            return False
        try:
            return os.fstat(self._dir_fd).st_nlink == 0
        except OSError:
            return False

    def read(self, name: str) -> bytes:
        """The bytes of an output, checked against the manifest."""
        path = self.path(name)
        try:
            fd = self._files.get(name)
            data = _read_fd(fd) if fd is not None else self._pinned(name).read_bytes()
        except OSError as exc:
            why = f"'{display_path(path)}' cannot be read ({exc.strerror})"
            raise _stale(self.out, why) from None
        if sha256(data) != self.manifest["outputs"].get(name, {}).get("sha256"):
            raise _stale(self.out, f"'{display_path(path)}' was changed after the build")
        return data

    def store(self) -> Any:
        """The build's triples in Oxigraph: kg-closure.ttl as the default graph and kg.ttl as
        ASSERTED_GRAPH. A small build is parsed into memory, where queries run two to four
        times faster than on disk and parsing costs less than opening a database; a large one
        is read from the on-disk store (which opens in milliseconds whatever its size), rebuilt
        first when it is missing or was made from other files, or parsed into memory after all
        when dist/ cannot be written."""
        if self._store is not None:
            return self._store
        outputs = self.manifest["outputs"]
        if outputs[CLOSURE_FILE]["bytes"] <= MEMORY_STORE_LIMIT:
            self._store = _memory_store(self.read(CLOSURE_FILE), self.read(KG_FILE))
            return self._store
        expected = {name: outputs[name]["sha256"] for name in (CLOSURE_FILE, KG_FILE)}
        location = self._pinned(STORE_DIR)
        if _read_stamp(location) != expected:
            closure, asserted = self.read(CLOSURE_FILE), self.read(KG_FILE)
            try:
                write_store(self._root or self.out, closure, asserted)
            except OSError:
                self._store = _memory_store(closure, asserted)
                return self._store
        try:
            self._store = ox.Store.read_only(str(location))
            self._store_location = location
        except OSError as exc:
            if self._replaced():  # removed by a newer build: this one's files are still open
                self._store = _memory_store(self.read(CLOSURE_FILE), self.read(KG_FILE))
                return self._store
            raise InputError(
                f"cannot open the store '{display_path(location)}': {first_line(exc)}",
                hint=f"delete it and {RUN_BUILD}",
            ) from None
        return self._store

    @property
    def store_location(self) -> Path | None:
        """The on-disk store that ``store()`` opened; None when it parsed the build into
        memory (or has not been called)."""
        return None if self._store_location is None else self.out / STORE_DIR

    def reopen_store(self) -> Any:
        """A new read-only handle on the store (an in-memory store is shared as it is); the
        build's files parsed into memory when a newer build has removed its store since."""
        store = self.store()
        if isinstance(self._store_location, Path):
            try:
                return ox.Store.read_only(str(self._store_location))
            except OSError:
                if not self._replaced():
                    raise
                return _memory_store(self.read(CLOSURE_FILE), self.read(KG_FILE))
        return store

    def graph(self, inferred: bool = True) -> Graph:
        """kg-closure.ttl (or kg.ttl) as an rdflib graph, for the rdflib query engine."""
        if inferred not in self._graphs:
            name = CLOSURE_FILE if inferred else KG_FILE
            data = self.read(name)
            key = sha256(data)
            graph = _GRAPHS.get(key)
            if graph is None:
                graph = Graph()
                try:
                    graph.parse(data=data, format="turtle")
                except Exception as exc:  # a damaged file: report it, no traceback
                    raise _stale(
                        self.out, f"'{display_path(self.path(name))}': {first_line(exc)}"
                    ) from exc
                _GRAPHS.clear()  # one graph per file and process is enough
                _GRAPHS[key] = graph
            self._graphs[inferred] = graph
        return self._graphs[inferred]

    def index(self) -> ProofIndex:
        if self._index is None:
            data = self.read(INDEX_FILE)
            try:
                self._index = ProofIndex(self._file_path(INDEX_FILE), self)
            except sqlite3.Error:
                if not self._replaced():
                    raise
                # SQLite opens files by name, and a newer build has removed this one: read
                # the copy already in hand.
                self._index = ProofIndex(data, self)
        return self._index


_GRAPHS: dict[str, Graph] = {}


def _memory_store(closure: bytes, asserted: bytes) -> Any:
    store = ox.Store()
    store.bulk_load(closure, format=ox.RdfFormat.TURTLE)
    store.bulk_load(asserted, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(ASSERTED_GRAPH))
    return store


def _read_stamp(location: Path) -> dict[str, str] | None:
    try:
        return json.loads((location / STORE_STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _stale(out: Path, why: str) -> InputError:
    return InputError(
        f"the build in '{display_path(out)}' cannot be used: {why}",
        hint=f"{RUN_BUILD} to make it again",
    )


def open_build(out_dir: str | os.PathLike[str] = "dist", check_inputs: bool = True) -> Build:
    """The build in ``out_dir``, checked: InputError (run `kgbuild build`) when there is none,
    when it is incomplete or from an older kgbuild, when an output no longer matches the
    manifest (by size), or, with ``check_inputs``, when an input file it was built from has
    changed, appeared or gone (where the input directories still exist).

    The directory is opened once, and every output in it at once, so what the Build reads is
    one build even when ``kgbuild build`` switches a new directory in meanwhile."""
    out = Path(out_dir)
    build = None
    for last in (False, False, True):
        # A directory removed between opening it and opening its files (a newer build was
        # switched in and the old one removed) is opened again, as the newer build.
        build = _open_build(out, retry=not last)
        if build is not None:
            break
    assert build is not None
    if check_inputs:
        _check_inputs(build)
    return build


def _open_build(out: Path, retry: bool) -> Build | None:
    """The build in ``out`` with its directory and outputs open; None, when ``retry``, if the
    directory was removed before its files could be opened."""
    dir_fd = _open_directory(out)
    opened: list[int] = [] if dir_fd is None else [dir_fd]

    def gone() -> bool:
        return retry and dir_fd is not None and os.fstat(dir_fd).st_nlink == 0

    try:
        manifest_path = out / MANIFEST_FILE
        try:
            manifest_fd = _open_in(dir_fd, out, MANIFEST_FILE)
        except OSError:
            if gone():
                return None
            if _is_file_in(dir_fd, out, KG_FILE):
                raise InputError(
                    f"'{display_path(out)}' holds no {MANIFEST_FILE}: it was written by an older "
                    "kgbuild or by a build that did not finish",
                    hint=f"{RUN_BUILD} again",
                ) from None
            raise InputError(
                f"'{display_path(manifest_path)}' not found: there is no build in "
                f"'{display_path(out)}'",
                hint=f"{RUN_BUILD} first",
            ) from None
        try:
            manifest = json.loads(_read_fd(manifest_fd).decode("utf-8"))
            if manifest.get("format") != MANIFEST_FORMAT:
                raise ValueError(f"format {manifest.get('format')!r}")
            outputs = manifest["outputs"]
        except (OSError, ValueError, KeyError, AttributeError) as exc:
            raise _stale(out, f"'{display_path(manifest_path)}' cannot be read ({exc})") from None
        finally:
            os.close(manifest_fd)
        files: dict[str, int] = {}
        for name, record in outputs.items():
            path = out / name
            try:
                fd = _open_in(dir_fd, out, name)
            except OSError:
                if gone():
                    return None
                raise _stale(out, f"'{display_path(path)}' is missing") from None
            opened.append(fd)
            files[name] = fd
            if os.fstat(fd).st_size != record.get("bytes"):
                raise _stale(out, f"'{display_path(path)}' was changed after the build")
        root = None if dir_fd is None else Path(f"/proc/self/fd/{dir_fd}")
        if root is not None and not root.is_dir():
            root = None  # no /proc: read by name
        build = Build(out, manifest, root, files, dir_fd)
    except BaseException:
        _close_all(opened)
        raise
    weakref.finalize(build, _close_all, opened)
    return build


def _open_directory(out: Path) -> int | None:
    """A descriptor of the directory ``out`` (None where there is none, or the system cannot
    open files relative to one)."""
    if os.open not in os.supports_dir_fd or not hasattr(os, "O_DIRECTORY"):
        return None
    try:
        return os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None


def _open_in(dir_fd: int | None, out: Path, name: str) -> int:
    if dir_fd is None:
        return os.open(out / name, os.O_RDONLY)
    return os.open(name, os.O_RDONLY, dir_fd=dir_fd)


def _is_file_in(dir_fd: int | None, out: Path, name: str) -> bool:
    try:
        mode = (os.stat(out / name) if dir_fd is None else os.stat(name, dir_fd=dir_fd)).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode)


def _read_fd(fd: int) -> bytes:
    """The whole content of the open file ``fd``, whatever its position (pread: threads that
    share a Build share its descriptors)."""
    if not hasattr(os, "pread"):
        with os.fdopen(os.dup(fd), "rb") as handle:
            handle.seek(0)
            return handle.read()
    chunks, offset = [], 0
    size = os.fstat(fd).st_size
    while True:
        chunk = os.pread(fd, max(size - offset, 1 << 16), offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _check_inputs(build: Build) -> None:
    inputs = build.manifest.get("inputs", {})
    ontology, data = build.out / inputs.get("ontology", ""), build.out / inputs.get("data", "")
    if not (ontology.is_dir() and data.is_dir()):
        return  # dist/ was moved or copied away from its sources: nothing to compare with
    recorded: dict[str, str] = inputs.get("files", {})
    try:
        current = input_files(ontology, data)
    except KgbuildError as exc:
        raise _stale(build.out, f"its input files have changed ({exc.message})") from None
    changed = sorted(set(recorded) ^ set(current))
    for name in sorted(set(recorded) & set(current)):
        try:
            digest = _file_sha256(current[name])
        except OSError:
            digest = ""
        if digest != recorded[name]:
            changed.append(name)
    if changed:
        first = changed[0]
        root = ontology if first.startswith("ontology/") else data
        where = display_path(root / first.split("/", 1)[1])
        what = "is new" if first not in recorded else "is gone" if first not in current else ""
        what = what or "has changed"
        more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
        raise InputError(
            f"the build in '{display_path(build.out)}' is out of date: '{where}' {what} since "
            f"it was built{more}",
            hint=f"{RUN_BUILD} to bring it up to date",
        )


# --------------------------------------------------------------------------------------------
# The index


class ProofIndex:
    """Reads index.sqlite: derivations, names, labels and record locations."""

    def __init__(self, path: Path | bytes, build: Build | None = None) -> None:
        """``path``: the file, or its content (read into memory)."""
        self.build = build
        if isinstance(path, bytes):
            self.connection = sqlite3.connect(":memory:", check_same_thread=False)
            self.connection.deserialize(path)
        else:
            # Not resolved: a /proc/self/fd path must stay one (see Build._file_path).
            uri = Path(os.path.abspath(path)).as_uri() + "?mode=ro&immutable=1"
            self.connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._terms: dict[int, Node] = {}

    def term(self, term_id: int) -> Node:
        node = self._terms.get(term_id)
        if node is None:
            row = self.connection.execute(
                "SELECT kind, value, extra FROM term WHERE id = ?", (term_id,)
            ).fetchone()
            node = self._terms[term_id] = term_from_parts(*row)
        return node

    def term_id(self, node: Node) -> int | None:
        kind, value, extra = term_parts(node)
        row = self.connection.execute(
            "SELECT id FROM term WHERE value = ? AND kind = ? AND extra = ?", (value, kind, extra)
        ).fetchone()
        return None if row is None else row[0]

    def _ids(self, triple: tuple[Node, Node, Node]) -> tuple[int, int, int] | None:
        ids = tuple(self.term_id(t) for t in triple)
        return None if None in ids else ids  # type: ignore[return-value]

    def derivation(
        self, triple: tuple[Node, Node, Node]
    ) -> tuple[str, int, list[tuple[Node, Node, Node]]] | None:
        """(rule, round, premises) of an inferred triple; None for any other."""
        ids = self._ids(triple)
        if ids is None:
            return None
        row = self.connection.execute(
            "SELECT rule, round, premises FROM derivation WHERE s = ? AND p = ? AND o = ?", ids
        ).fetchone()
        if row is None:
            return None
        numbers = [int(n) for n in row[2].split()]
        premises = [
            (self.term(numbers[i]), self.term(numbers[i + 1]), self.term(numbers[i + 2]))
            for i in range(0, len(numbers), 3)
        ]
        return row[0], row[1], premises

    def list_members(self, node: Node) -> tuple[Node, ...] | None:
        term_id = self.term_id(node)
        if term_id is None:
            return None
        row = self.connection.execute(
            "SELECT members FROM list WHERE head = ?", (term_id,)
        ).fetchone()
        return None if row is None else tuple(self.term(int(n)) for n in row[0].split())

    def nodes_named(self, key: str) -> set[URIRef]:
        rows = self.connection.execute("SELECT node FROM name WHERE key = ?", (key,)).fetchall()
        return {self.term(row[0]) for row in rows}  # type: ignore[misc]

    def names(self) -> Iterator[tuple[str, URIRef]]:
        for key, node in self.connection.execute("SELECT key, node FROM name ORDER BY key, node"):
            yield key, self.term(node)  # type: ignore[misc]

    def label(self, node: Node) -> str:
        term_id = self.term_id(node)
        if term_id is None:
            return ""
        row = self.connection.execute(
            "SELECT text FROM label WHERE node = ?", (term_id,)
        ).fetchone()
        return "" if row is None else row[0]

    def location(self, node: Node) -> tuple[Path, int] | None:
        """The file and line of the record (data) or Turtle block (ontology) of ``node``."""
        term_id = self.term_id(node)
        if term_id is None:
            return None
        row = self.connection.execute(
            "SELECT dir, file, line FROM location WHERE node = ?", (term_id,)
        ).fetchone()
        if row is None:
            return None
        directory, file, line = row
        root = self.build.input_dir(directory) if self.build is not None else Path(directory)
        return root / file, line
