"""The build stage: ontology + data -> one checked, reasoned graph, written to ``<out>/``: the
Turtle files (kg.ttl, inferred.ttl, kg-closure.ttl), the other export formats, void.ttl, and
what kgbuild's own commands read back (index.sqlite, store/, manifest.json; see ``dist.py``)."""

from __future__ import annotations

import gc
import os
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.term import Node

from kgbuild.dist import manifest_bytes, write_index, write_store
from kgbuild.dist_files import (
    CLOSURE_FILE,
    INDEX_FILE,
    INFERRED_FILE,
    KG_FILE,
    MANIFEST_FILE,
    STORE_DIR,
)
from kgbuild.export import (
    EXPORT_FORMATS,
    EXPORT_PREFIXES,
    HEADER,
    VOID_FILE,
    VOID_GRAPH,
    ExportResult,
    export_graphs,
    jsonld_chunks,
    ntriples_lines,
    trig_chunks,
    void_graph,
)
from kgbuild.load import Context, LoadedData, Triple, load_data
from kgbuild.names import index_names
from kgbuild.namespaces import KG, RDF, RDFS
from kgbuild.naming import Locator, ontology_files
from kgbuild.ontology import load_ontology, term_lines
from kgbuild.reason import Reasoning, check_consistent, reason
from kgbuild.serialize import (
    StagedDirectory,
    StagedFiles,
    serialize_turtle,
    turtle_chunks,
    write_error,
)
from kgbuild.stats import Summary, summarize, summary_dict
from kgbuild.validate import (
    ShapeViolations,
    Validation,
    ValidationReport,
    load_all,
    validate_loaded,
)

__all__ = [
    "CLOSURE_FILE",
    "INFERRED_FILE",
    "KG_FILE",
    "BuildResult",
    "ReasonResult",
    "ShapeViolations",
    "Timings",
    "build",
    "check_and_reason",
    "closure_turtle",
    "export",
    "format_timings",
    "inferred_turtle",
    "load_inputs",
    "reason_inputs",
]

INFERRED_HEADER = (
    "# kgbuild {version}: the facts the OWL 2 RL closure of kg.ttl adds to it, cleaned.\n"
    "# Generated file: edit the sources and run `kgbuild build` instead of editing this.\n"
)
CLOSURE_HEADER = (
    "# kgbuild {version}: kg.ttl together with inferred.ttl, for stores that do not reason.\n"
    "# Generated file: edit the sources and run `kgbuild build` instead of editing this.\n"
)


@dataclass
class BuildResult:
    ontology: Graph
    data: LoadedData
    output: Path  # the kg.ttl written
    summary: Summary
    validation: ValidationReport  # no violations; warnings and infos, if any
    reasoning: Reasoning
    outputs: tuple[Path, ...] = ()  # every file written, kg.ttl first
    timings: Timings | None = None  # how long each stage took

    @property
    def locations(self) -> dict[URIRef, tuple[Path, int]]:
        """Data node -> (file, line) of its record."""
        return self.data.locations

    @property
    def triples(self) -> list[Triple]:
        """Ontology + data."""
        return [*self.ontology, *self.data.triples]

    @property
    def graph(self) -> Graph:
        """Ontology + data as an rdflib graph (made on each call: for tests and tools)."""
        graph = Graph()
        graph.addN((s, p, o, graph) for s, p, o in self.triples)
        return graph


@dataclass
class ReasonResult:
    triples: list[Triple]  # ontology + data
    reasoning: Reasoning  # consistent
    outputs: tuple[Path, ...]  # inferred.ttl, kg-closure.ttl
    validation: ValidationReport


def load_inputs(
    ontology_dir: str | os.PathLike[str], data_dir: str | os.PathLike[str]
) -> tuple[Graph, LoadedData]:
    """Load the ontology, then the data checked against it."""
    ontology = load_ontology(ontology_dir)
    return ontology, load_data(data_dir, ontology)


class Timings(dict):
    """Stage name -> (wall seconds, CPU seconds), in the order the stages ran, and the peak
    memory of the process at the end of each stage."""

    def __init__(self) -> None:
        super().__init__()
        self.peak_mb: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            done = (time.perf_counter() - wall, time.process_time() - cpu)
            before = self.get(name, (0.0, 0.0))
            self[name] = (before[0] + done[0], before[1] + done[1])
            self.peak_mb[name] = peak_memory_mb()


def release_memory() -> None:
    """Hand the memory that the C allocator holds free back to the system. Between stages a
    build frees hundreds of megabytes (the validator's store, the reasoner's indexes, each
    serialisation) that glibc would otherwise keep, so that the next stage's peak would add to
    them. A no-op where the C library has no ``malloc_trim``."""
    global _malloc_trim
    if _malloc_trim is None:
        import ctypes
        import ctypes.util

        try:
            _malloc_trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None


def peak_memory_mb() -> float:
    """The peak resident memory of this process so far, in MB (0 where it cannot be read)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / 1e6 if os.uname().sysname == "Darwin" else peak / 1e3


def format_timings(timings: Timings) -> str:
    """The table ``kgbuild build --timings`` prints."""
    rows = [f"{'stage':<16}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}"]
    rows += [
        f"{name:<16}{wall:>9.3f}{cpu:>9.3f}{timings.peak_mb.get(name, 0.0):>9.0f}"
        for name, (wall, cpu) in timings.items()
    ]
    wall = sum(w for w, _ in timings.values())
    cpu = sum(c for _, c in timings.values())
    rows.append(f"{'all stages':<16}{wall:>9.3f}{cpu:>9.3f}{peak_memory_mb():>9.0f}")
    return "\n".join(rows)


def check_and_reason(
    ontology_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str],
    timings: Timings | None = None,
) -> tuple[Validation, Reasoning]:
    """Load and validate, then reason and check consistency; raises on any failure."""
    timings = Timings() if timings is None else timings
    with timings.stage("load"):
        inputs = load_all(ontology_dir, data_dir)
    with timings.stage("validate"):
        checked = validate_loaded(*inputs, ontology_dir)
    if not checked.report.conforms:
        raise ShapeViolations(checked.report)
    release_memory()
    with timings.stage("reason"):
        reasoning = reason(checked.triples)
        check_consistent(reasoning, Locator(checked.data.locations, ontology_dir))
    return checked, reasoning


def inferred_chunks(inferred: Iterable[Triple]) -> Iterator[str]:
    """The text of inferred.ttl, in pieces (see ``serialize.turtle_chunks``)."""
    from kgbuild import __version__

    return turtle_chunks(inferred, header=INFERRED_HEADER.format(version=__version__))


def closure_chunks(asserted: Iterable[Triple], inferred: Iterable[Triple]) -> Iterator[str]:
    """The text of kg-closure.ttl, in pieces."""
    from kgbuild import __version__

    return turtle_chunks([*asserted, *inferred], header=CLOSURE_HEADER.format(version=__version__))


def inferred_turtle(inferred: Iterable[Triple]) -> bytes:
    """The content of inferred.ttl."""
    return "".join(inferred_chunks(inferred)).encode("utf-8")


def closure_turtle(asserted: Iterable[Triple], inferred: Iterable[Triple]) -> bytes:
    """The content of kg-closure.ttl."""
    return "".join(closure_chunks(asserted, inferred)).encode("utf-8")


def _stage_reasoning_files(
    asserted: list[Triple], reasoning: Reasoning, out: Path, staged: StagedFiles, timings: Timings
) -> None:
    with timings.stage(INFERRED_FILE):
        staged.write(out / INFERRED_FILE, inferred_chunks(reasoning.inferred))
        release_memory()
    with timings.stage(CLOSURE_FILE):
        staged.write(out / CLOSURE_FILE, closure_chunks(asserted, reasoning.inferred))
        release_memory()


def reason_inputs(
    ontology_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
) -> ReasonResult:
    """Load, check and validate as ``build`` does, compute the OWL 2 RL closure, check it for
    inconsistencies (Inconsistency, exit 1) and write ``out_dir/inferred.ttl`` and
    ``out_dir/kg-closure.ttl`` atomically. ``kg.ttl`` is not written."""
    with _without_cyclic_gc(), StagedFiles() as staged:
        checked, reasoning = check_and_reason(ontology_dir, data_dir)
        triples = checked.triples
        _stage_reasoning_files(triples, reasoning, Path(out_dir), staged, Timings())
        outputs = tuple(staged.commit())
    return ReasonResult(triples, reasoning, outputs, checked.report)


def _stage_export_files(
    checked: Validation,
    reasoning: Reasoning,
    out: Path,
    formats: Iterable[str],
    staged: StagedFiles,
    endpoint: str | None = None,
    also_written: Iterable[str] = (),
    timings: Timings | None = None,
) -> ExportResult:
    """Serialise the chosen export formats and void.ttl, staging each file as soon as it is
    made (so that only one is in memory at a time)."""
    from kgbuild import __version__

    timings = Timings() if timings is None else timings
    ontology, data = list(checked.ontology), checked.data.triples
    chosen = [f for f in EXPORT_FORMATS if f in set(formats)]
    with timings.stage(VOID_FILE):
        graphs = export_graphs(ontology, data, reasoning.inferred)
    counts = {name: len(g) for name, g in graphs.items()}
    filenames = [EXPORT_FORMATS[f] for f in chosen] + list(also_written)
    documents = sorted(
        s for s, p, o in data if p == RDF.type and o == KG.SourceDocument and isinstance(s, URIRef)
    )
    with timings.stage(VOID_FILE):
        void = void_graph(
            checked.ontology, documents, len(ontology) + len(data), counts, filenames, endpoint
        )
    outputs: list[Path] = []
    for fmt in chosen:
        with timings.stage(EXPORT_FORMATS[fmt]):
            content: Iterable[str | bytes]
            if fmt == "turtle":
                content = turtle_chunks([*ontology, *data])
            elif fmt == "ntriples":
                content = ntriples_lines([*ontology, *data])
            elif fmt == "jsonld":
                context: Context | None = checked.data.context
                assert context is not None
                content = jsonld_chunks([*ontology, *data], context, context.raw)
            else:
                content = trig_chunks(
                    {**graphs, VOID_GRAPH: list(void)},
                    HEADER.format(version=__version__, what="the dataset as named graphs (TriG)"),
                )
            outputs.append(staged.write(out / EXPORT_FORMATS[fmt], content).target)
            del content
            release_memory()
    with timings.stage(VOID_FILE):
        void_text = serialize_turtle(
            void,
            prefixes=EXPORT_PREFIXES,
            header=HEADER.format(version=__version__, what="VoID / DCAT dataset description"),
        )
        outputs.append(staged.write(out / VOID_FILE, void_text).target)
    return ExportResult({**graphs, VOID_GRAPH: list(void)}, tuple(outputs), counts)


def _index_content(
    triples: list[Triple], data: LoadedData, ontology_dir: Path, data_dir: Path
) -> tuple[list[tuple[str, URIRef]], dict[URIRef, str], list[tuple[URIRef, str, str, int]]]:
    """What index.sqlite holds besides the derivations: names, labels, record locations."""
    labels = [(s, o) for s, p, o in triples if p == RDFS.label]
    written: dict[Node, list[Node]] = defaultdict(list)
    for s, p, o in triples:
        if p == KG.nameString:
            written[s].append(o)
    place_names = [
        (s, text) for s, p, o in triples if p == KG.hasName for text in written.get(o, ())
    ]
    names, first_labels = index_names(labels, place_names)
    pairs = [(key, node) for key, nodes in names.items() for node in nodes]
    locations: list[tuple[URIRef, str, str, int]] = []
    for node, (path, line) in data.locations.items():
        locations.append((node, "data", path.relative_to(data_dir).as_posix(), line))
    subjects = {s for s, _, _ in triples if isinstance(s, URIRef)}
    for path in ontology_files(ontology_dir):
        for iri, line in term_lines(path).items():
            node = URIRef(iri)
            if node in subjects:
                locations.append((node, "ontology", path.name, line))
    return pairs, first_labels, locations


def build(
    ontology_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    formats: Iterable[str] = tuple(EXPORT_FORMATS),
) -> BuildResult:
    """Load and check everything, validate it against the SHACL shapes (``ontology_dir/shapes``),
    compute the OWL 2 RL closure and check it, then write a new ``out_dir`` beside the old one
    and switch it in by one rename (see ``serialize.StagedDirectory``): ``kg.ttl``,
    ``inferred.ttl``, ``kg-closure.ttl``, the other export ``formats`` (``kg.nt``,
    ``kg.jsonld``, ``kg.trig``; all by default), ``void.ttl``, ``index.sqlite``, ``store/`` and
    ``manifest.json``.

    Nothing is switched in unless every check passes and every file is written, so a failed
    or killed build leaves the old output whole. ``out_dir`` may hold only kgbuild's files
    (InputError otherwise, before anything is done), since the old directory is removed.
    InputError for unreadable input or an unwritable ``out_dir`` (a full disk said so),
    DataErrors for the loader's checks, ShapeViolations (with the whole report) when the graph
    violates a shape, Inconsistency when the closure is inconsistent. Warnings do not stop the
    build; they are in the result's ``validation`` report.
    """
    with _without_cyclic_gc():
        return _build(Path(ontology_dir), Path(data_dir), Path(out_dir), formats)


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """A build makes millions of long-lived objects and almost no reference cycles; Python's
    cycle collector would walk them all again and again (a quarter of the time at a hundred
    times the real data), so it is paused for the build."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(ontology_dir: Path, data_dir: Path, out: Path, formats: Iterable[str]) -> BuildResult:
    timings = Timings()
    # Checked before the long work (without making anything): an output directory that holds
    # files kgbuild did not write is refused.
    new_dir = StagedDirectory(out, owned_output)
    checked, reasoning = check_and_reason(ontology_dir, data_dir, timings)
    triples = checked.triples
    StagedFiles().prepare(out / KG_FILE)  # an unusable --out is reported by its main file
    # The whole build is written into a new directory beside `out` and switched in at the end
    # by one rename, so a failure or a kill on the way leaves the last build as it was, and a
    # reader sees one build or the other, never a mix. Each file is dropped from memory once
    # written, so the build holds one serialisation at a time.
    with new_dir, StagedFiles(shown=new_dir.shown) as staged:
        assert new_dir.path is not None
        new = new_dir.path
        with timings.stage(INDEX_FILE):
            # First: the reasoner's record of derivations is the largest structure of a build,
            # and is let go once the index holds it.
            assert reasoning.reasoner is not None
            names, labels, locations = _index_content(triples, checked.data, ontology_dir, data_dir)
            index_file = staged.temporary(new / INDEX_FILE)
            try:
                write_index(index_file, reasoning.reasoner, names, labels, locations)
            except (OSError, sqlite3.Error) as exc:
                index_file.unlink(missing_ok=True)
                raise write_error(out / INDEX_FILE, exc) from exc
            reasoning.reasoner = None
            del names, labels, locations
            release_memory()
            staged.add(new / INDEX_FILE, index_file)
        _stage_reasoning_files(triples, reasoning, new, staged, timings)
        _stage_export_files(
            checked,
            reasoning,
            new,
            {"turtle", *formats},
            staged,
            also_written=[INFERRED_FILE, CLOSURE_FILE],
            timings=timings,
        )
        with timings.stage(STORE_DIR):
            closure, kg = staged.files[new / CLOSURE_FILE], staged.files[new / KG_FILE]
            try:
                write_store(new, (closure.temporary, closure.sha256), (kg.temporary, kg.sha256))
            except OSError as exc:
                raise write_error(out / STORE_DIR, exc) from exc
        with timings.stage(MANIFEST_FILE):
            summary = summarize(triples)
            details = {
                "reasoner": reasoning.engine,
                "triples": {
                    "asserted": len(triples),
                    "inferred": len(reasoning.inferred),
                    "closure": len(triples) + len(reasoning.inferred),
                },
                "summary": summary_dict(summary),
            }
            hashes = {path.name: (f.size, f.sha256) for path, f in staged.files.items()}
            staged.write(
                new / MANIFEST_FILE, manifest_bytes(ontology_dir, data_dir, out, hashes, details)
            )
        with timings.stage("write files"):
            written = staged.commit(
                first=[new / KG_FILE, new / INFERRED_FILE, new / CLOSURE_FILE],
                last=[new / INDEX_FILE, new / MANIFEST_FILE],
            )
            new_dir.commit()
    names_written = [path.name for path in written]
    outputs = [out / name for name in [*names_written[:-1], STORE_DIR, names_written[-1]]]
    return BuildResult(
        checked.ontology,
        checked.data,
        out / KG_FILE,
        summary,
        checked.report,
        reasoning,
        tuple(outputs),
        timings,
    )


def owned_output(entry: Path) -> bool:
    """Whether ``entry`` of an output directory is kgbuild's, which a build may replace: a
    file build writes, the store, the site ``kgbuild site`` writes there (it describes the
    build being replaced), or what a killed build, reason, export, store rebuild or site left
    (hidden temporaries ``.NAME.*.tmp``, ``.store-*``, ``.site.new-*`` and ``.site.old-*``)."""
    name = entry.name
    if entry.is_dir() and not entry.is_symlink():
        return (
            name in (STORE_DIR, SITE_DIR)
            or name.startswith(".store-")
            or _SITE_LEFTOVER.fullmatch(name) is not None
        )
    if name in _OUTPUT_FILES or name == STORE_DIR:
        return True
    return name.endswith(".tmp") and any(name.startswith(f".{o}.") for o in _OUTPUT_FILES)


SITE_DIR = "site"  # kgbuild.site.SITE_DIR (not imported: a build does not load the site code)
_SITE_LEFTOVER = re.compile(rf"\.{SITE_DIR}\.(?:new|old)-[0-9a-f]{{8}}")
_OUTPUT_FILES = frozenset(
    [INFERRED_FILE, CLOSURE_FILE, *EXPORT_FORMATS.values(), VOID_FILE, INDEX_FILE, MANIFEST_FILE]
)


def export(
    ontology_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    formats: Iterable[str] = tuple(EXPORT_FORMATS),
    endpoint: str | None = None,
) -> ExportResult:
    """Check, validate and reason as ``build`` does (the same errors, nothing written on
    failure), then write only the chosen ``formats`` (names of EXPORT_FORMATS) and
    ``void.ttl`` to ``out_dir``, each atomically; ``endpoint`` goes into the description."""
    with _without_cyclic_gc(), StagedFiles() as staged:
        checked, reasoning = check_and_reason(ontology_dir, data_dir)
        exported = _stage_export_files(checked, reasoning, Path(out_dir), formats, staged, endpoint)
        staged.commit()
    return exported
