"""dist/: the build is read back, never redone: the manifest, the index and the store, and a
build that is missing, incomplete, changed or older than its inputs is refused with one line
that says to run `kgbuild build`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, Project
from kgbuild.build import build
from kgbuild.dist import (
    ASSERTED_GRAPH,
    INDEX_FILE,
    MANIFEST_FILE,
    STORE_DIR,
    open_build,
    sha256,
)
from kgbuild.errors import InputError
from kgbuild.namespaces import ID, KG
from kgbuild.query import load_dataset, run_query

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture
def built(project: Project) -> Project:
    build(project.ontology, project.data, project.out)
    return project


def refused(out: Path, check_inputs: bool = True) -> str:
    with pytest.raises(InputError) as info:
        open_build(out, check_inputs=check_inputs)
    assert info.value.exit_code == 2
    return str(info.value)


# -- the manifest


def test_manifest_records_inputs_outputs_and_summary(built: Project) -> None:
    manifest = json.loads((built.out / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["inputs"]["data"] == "../data"
    assert manifest["inputs"]["ontology"] == "../ontology"
    files = manifest["inputs"]["files"]
    assert {"ontology/mini.ttl", "ontology/shapes/mini.ttl", "data/context.jsonld"} <= set(files)
    assert files["data/places.yaml"] == sha256((built.data / "places.yaml").read_bytes())
    assert "data/events/entry.yaml" in files  # data in subdirectories too
    for name, record in manifest["outputs"].items():
        data = (built.out / name).read_bytes()
        assert record == {"bytes": len(data), "sha256": sha256(data)}, name
    assert set(manifest["outputs"]) == {
        "kg.ttl",
        "inferred.ttl",
        "kg-closure.ttl",
        "kg.nt",
        "kg.jsonld",
        "kg.trig",
        "void.ttl",
        INDEX_FILE,
    }
    assert manifest["reasoner"] in ("rules", "owlrl")
    assert manifest["summary"]["data_nodes"] == 11
    assert manifest["triples"]["closure"] == (
        manifest["triples"]["asserted"] + manifest["triples"]["inferred"]
    )


def test_the_real_build_used_the_rule_engine(built_repo: Path) -> None:
    build_ = open_build(built_repo)
    assert build_.reasoner == "rules"
    assert build_.summary["events"] == 67
    assert build_.summary["source_documents"] == 13


# -- refusing what cannot be read back


def test_no_build(tmp_path: Path) -> None:
    assert refused(tmp_path / "dist").endswith("run `kgbuild build` first")


def test_an_interrupted_or_older_build(built: Project) -> None:
    (built.out / MANIFEST_FILE).unlink()
    message = refused(built.out)
    assert "holds no manifest.json" in message and message.endswith("run `kgbuild build` again")


def test_a_broken_manifest(built: Project) -> None:
    (built.out / MANIFEST_FILE).write_text("{not json", encoding="utf-8")
    assert "cannot be read" in refused(built.out)


@pytest.mark.parametrize("name", ["kg.ttl", "kg-closure.ttl", INDEX_FILE])
def test_an_output_changed_or_removed_after_the_build(built: Project, name: str) -> None:
    path = built.out / name
    path.write_bytes(path.read_bytes() + b"\n")
    assert refused(built.out) == (
        f"the build in 'dist' cannot be used: 'dist/{name}' was changed after the build; "
        "run `kgbuild build` to make it again"
    )
    path.unlink()
    assert f"'dist/{name}' is missing" in refused(built.out)


def test_an_output_changed_in_place_is_found_when_read(built: Project) -> None:
    """Same size, other bytes: the hash, checked when the file is read, tells."""
    path = built.out / "kg-closure.ttl"
    data = bytearray(path.read_bytes())
    data[-2] = ord("X") if data[-2] != ord("X") else ord("Y")
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="'dist/kg-closure.ttl' was changed after the build"):
        load_dataset(built.out).graph  # noqa: B018


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("edit", "'data/places.yaml' has changed"),
        ("add", "'data/zz-new.yaml' is new"),
        ("remove", "'data/places.yaml' is gone"),
        ("ontology", "'ontology/mini.ttl' has changed"),
        ("shapes", "'ontology/shapes/mini.ttl' has changed"),
    ],
)
def test_an_input_changed_since_the_build(built: Project, change: str, expected: str) -> None:
    places = built.data / "places.yaml"
    if change == "edit":
        places.write_text(places.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    elif change == "add":
        shutil.copy(places, built.data / "zz-new.yaml")
    elif change == "remove":
        places.unlink()
    else:
        path = built.ontology / ("mini.ttl" if change == "ontology" else "shapes/mini.ttl")
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    message = refused(built.out)
    assert message.startswith(f"the build in 'dist' is out of date: {expected} since it was built")
    assert message.endswith("run `kgbuild build` to bring it up to date")
    # Without the check (a copy of dist/ far from its sources reads the same) it opens.
    assert open_build(built.out, check_inputs=False).summary["data_nodes"] == 11


def test_a_copy_of_dist_far_from_its_sources_is_read(built: Project, tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "deep" / "dist"
    shutil.copytree(built.out, copy)
    dataset = load_dataset(copy)
    assert run_query(COUNT, dataset, engine="oxigraph").rows[0]["n"].value > 0


# -- the store


def count(out: Path, inferred: bool = True) -> int:
    return int(run_query(COUNT, load_dataset(out, inferred), engine="oxigraph").rows[0]["n"])


def test_the_store_holds_the_closure_and_kg_ttl(built_repo: Path) -> None:
    store = open_build(built_repo).store()
    closure = run_query(COUNT, load_dataset(built_repo), engine="rdflib").rows[0]["n"]
    assert count(built_repo) == int(closure)
    asserted = store.query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{ASSERTED_GRAPH}> {{ ?s ?p ?o }} }}")
    assert int(next(iter(asserted))["n"].value) == count(built_repo, inferred=False)


@pytest.fixture
def on_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queries read the on-disk store whatever the size of the build."""
    monkeypatch.setattr("kgbuild.dist.MEMORY_STORE_LIMIT", 0)


def test_a_small_build_is_read_into_memory_a_large_one_from_disk(built: Project, monkeypatch):
    small = open_build(built.out)
    assert len(small.store()) > 0
    assert small.store_location is None  # parsed into memory
    monkeypatch.setattr("kgbuild.dist.MEMORY_STORE_LIMIT", 0)
    large = open_build(built.out)
    assert len(large.store()) == len(small.store())
    assert large.store_location == built.out / STORE_DIR


@pytest.mark.parametrize("damage", ["deleted", "stale"])
def test_a_missing_or_stale_store_is_rebuilt_from_the_files(
    built: Project, damage: str, on_disk: None
) -> None:
    before = count(built.out)
    stamp = built.out / STORE_DIR / "kgbuild.json"
    if damage == "deleted":
        shutil.rmtree(built.out / STORE_DIR)
    else:
        stamp.write_text('{"kg-closure.ttl": "0"}\n', encoding="utf-8")
    assert count(built.out) == before
    assert json.loads(stamp.read_text(encoding="utf-8"))["kg-closure.ttl"] == sha256(
        (built.out / "kg-closure.ttl").read_bytes()
    )
    assert not [p for p in built.out.iterdir() if p.name.startswith(".")], "no leftovers"


def test_a_dist_it_cannot_write_gets_a_store_in_memory(
    built: Project, monkeypatch, on_disk: None
) -> None:
    before = count(built.out)
    shutil.rmtree(built.out / STORE_DIR)

    def refuse(*args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("kgbuild.dist.write_store", refuse)
    assert count(built.out) == before
    assert not (built.out / STORE_DIR).exists()


def test_reading_the_index(built_repo: Path) -> None:
    index = open_build(built_repo).index()
    assert index.nodes_named("berdzor") == {ID["place/berdzor-lachin"]}
    assert index.label(ID["place/lachin-district"]) == "Lachin District"
    path, line = index.location(ID["place/lachin-district"])
    assert path.resolve() == (ROOT / "data" / "places.yaml").resolve()
    assert (ROOT / "data" / "places.yaml").read_text(encoding="utf-8").splitlines()[
        line - 1
    ].strip() == "- id: place/lachin-district"
    path, line = index.location(KG.partOf)
    assert path.name == "places.ttl" and line > 1
    rule, round_, premises = index.derivation(
        (ID["place/berdzor-lachin"], KG.partOf, ID["country/azerbaijan"])
    )
    assert (rule, round_, len(premises)) == ("prp-trp", 1, 3)
    assert (
        index.derivation((ID["place/berdzor-lachin"], KG.partOf, ID["place/lachin-district"]))
        is None
    )


def test_the_store_is_loaded_in_parts_that_each_parse_alone(built_repo: Path, monkeypatch):
    """Turtle as kgbuild writes it is bulk-loaded in parts (less memory than one load): each
    part is the header and whole statements, and together they give what one load gives."""
    import pyoxigraph as ox

    from kgbuild import dist

    text = (built_repo / "kg-closure.ttl").read_bytes()
    monkeypatch.setattr(dist, "_STORE_PART_BYTES", 64 << 10)
    parts = list(dist._turtle_parts(text))
    assert len(parts) > 5
    header = text[: text.index(b"\n\n") + 2]
    assert all(part.startswith(header) for part in parts)
    assert b"".join(part[len(header) :] for part in parts) == text[len(header) :]
    whole, pieces = ox.Store(), ox.Store()
    whole.load(text, format=ox.RdfFormat.TURTLE)
    for part in parts:
        pieces.bulk_load(part, format=ox.RdfFormat.TURTLE)
    assert len(pieces) == len(whole) > 10_000

    def named(store: ox.Store) -> set:  # a blank node gets a new identity in each load
        return {
            q
            for q in store
            if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)
        }

    assert named(pieces) == named(whole) and len(named(whole)) < len(whole)
    # Labelled blank nodes may be shared between statements: such a file is loaded whole.
    labelled = header + b'_:b0 <urn:x:p> "1" .\n\n<urn:x:s> <urn:x:p> _:b0 .\n'
    assert list(dist._turtle_parts(labelled)) == [labelled]
