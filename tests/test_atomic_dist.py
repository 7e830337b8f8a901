"""The whole of dist/ switches at once: `kgbuild build` killed at several points, or stopped by
a full disk, leaves the previous build exactly as it was and nothing of its own beside it (the
next build removes what a killed one left); a reader holding the previous build keeps reading
it, whole, after a new one is switched in; a directory holding files kgbuild did not write is
not replaced.

The kills are real: `kgbuild build` runs as a process of its own, the test watches the output's
parent directory and sends SIGKILL when a given temporary file appears there.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import URIRef

from conftest import FIXTURE, REAL_CONTEXT, ROOT, SRC, dist_files
from kgbuild.build import build
from kgbuild.dist import CLOSURE_FILE, INDEX_FILE, KG_FILE, MANIFEST_FILE, STORE_DIR, open_build
from kgbuild.errors import InputError

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="SIGKILL and tmpfs: Linux only")

LABEL = "    label: Azerbaijan\n"  # in data/places.yaml of the real data and of the mini project
CHANGED = "    label: Azerbaijan, changed\n"
LEFTOVER = re.compile(r"\.dist\.(?:new|old)-[0-9a-f]{8}")
LABEL_QUERY = (
    "SELECT ?label WHERE { <https://w3id.org/kgbuild/id/place/azerbaijan> "
    "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
)


def env() -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    environment["PYTHONPATH"] = str(SRC)
    environment["PYTHONHASHSEED"] = "0"
    return environment


def build_args(out: Path) -> list[str]:
    return [sys.executable, "-m", "kgbuild", "build", "--quiet", "--out", str(out)]


def run_build(root: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        build_args(out), cwd=root, env=env(), capture_output=True, text=True, timeout=300
    )


def change_data(root: Path) -> None:
    places = root / "data" / "places.yaml"
    text = places.read_text(encoding="utf-8")
    assert LABEL in text
    places.write_text(text.replace(LABEL, CHANGED, 1), encoding="utf-8")


def copy_project(source_data: Path, source_ontology: Path, root: Path) -> Path:
    shutil.copytree(source_data, root / "data")
    shutil.copytree(source_ontology, root / "ontology")
    if not (root / "data" / "context.jsonld").exists():
        shutil.copy(REAL_CONTEXT, root / "data" / "context.jsonld")
    return root


def snapshot(out: Path) -> dict[str, bytes]:
    """The files of a build, with the store's stamp (the hashes it was loaded from)."""
    files = dist_files(out)
    files["store/kgbuild.json"] = (out / STORE_DIR / "kgbuild.json").read_bytes()
    return files


def assert_one_complete_build(out: Path) -> None:
    """Every output the manifest names is there with its hash, and nothing else."""
    manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    for name, record in manifest["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == record["sha256"], name
    stamp = json.loads((out / STORE_DIR / "kgbuild.json").read_text(encoding="utf-8"))
    assert stamp[CLOSURE_FILE] == manifest["outputs"][CLOSURE_FILE]["sha256"]
    assert {p.name for p in out.iterdir()} == {*manifest["outputs"], STORE_DIR, MANIFEST_FILE}


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if LEFTOVER.fullmatch(p.name))


# ---------------------------------------------------------------------------- SIGKILL


def new_directories(parent: Path, before: set[str]) -> list[Path]:
    return [
        Path(e.path)
        for e in os.scandir(parent)
        if LEFTOVER.fullmatch(e.name) and e.name not in before
    ]


def holds(pattern: str) -> Callable[[Path], bool]:
    """The new directory holds an entry whose name matches ``pattern`` (a temporary file)."""
    compiled = re.compile(pattern)

    def check(directory: Path) -> bool:
        try:
            return any(compiled.fullmatch(e.name) for e in os.scandir(directory))
        except FileNotFoundError:
            return False

    return check


# Where to kill, in the order a build gets there: the new directory made (nothing in it yet),
# the index being written, an export being written, the store being loaded, the manifest
# written (the last file before the switch, which only fsyncs separate from it: the build may
# get past the switch before the kill lands, or even finish).
KILL_POINTS: dict[str, Callable[[Path], bool]] = {
    "new-directory": lambda directory: directory.name != "dist",
    "index": holds(r"\.index\.sqlite\..+\.tmp"),
    "kg.nt": holds(r"\.kg\.nt\..+\.tmp"),
    "store": holds(r"\.store-.+"),
    "manifest": holds(r"(?:\.manifest\.json\..+\.tmp|manifest\.json)"),
}


def kill_at(root: Path, out: Path, seen: Callable[[Path], bool]) -> bool:
    """Run `kgbuild build` and SIGKILL it as soon as ``seen`` holds for a directory it may be
    writing (a new one beside ``out``, or ``out`` itself); False when it finished first."""
    before = {p.name for p in out.parent.iterdir()}
    process = subprocess.Popen(
        build_args(out), cwd=root, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 300  # only against a hang
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if any(seen(d) for d in [*new_directories(out.parent, before), out]):
                process.send_signal(signal.SIGKILL)
                process.wait()
                return True
            time.sleep(0.001)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        assert process.stderr is not None
        process.stderr.close()
    return False


@pytest.fixture(scope="module")
def killed_project(tmp_path_factory: pytest.TempPathFactory):
    """The real data built once (the previous build, kept aside as `previous`), then changed,
    and the changed data built elsewhere (`expected`, what a complete new build writes)."""
    root = copy_project(ROOT / "data", ROOT / "ontology", tmp_path_factory.mktemp("killed"))
    out = root / "dist"
    assert run_build(root, out).returncode == 0
    shutil.copytree(out, root / "previous")
    change_data(root)
    expected = root / "expected-dist"  # beside dist/: the same manifest
    proc = run_build(root, expected)
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_killed_build_leaves_the_previous_build(killed_project: Path, point: str) -> None:
    root = killed_project
    out = root / "dist"
    shutil.rmtree(out)
    shutil.copytree(root / "previous", out)
    previous, new = snapshot(root / "previous"), snapshot(root / "expected-dist")
    assert previous[KG_FILE] != new[KG_FILE]

    killed = kill_at(root, out, KILL_POINTS[point])
    assert killed or point == "manifest", f"the build finished before {point}"
    found, expected = snapshot(out), previous
    if point == "manifest" and found == new:
        # Killed after the switch, or not at all: the new build, whole, is as good an answer.
        expected = new
    assert found == expected
    assert_one_complete_build(out)
    if expected is previous:
        assert leftovers(root), "the killed build left its directory"
    assert open_build(out, check_inputs=False).manifest == json.loads(expected[MANIFEST_FILE])


def test_the_next_build_removes_what_killed_builds_left(killed_project: Path) -> None:
    root = killed_project
    out = root / "dist"
    assert kill_at(root, out, KILL_POINTS["kg.nt"])
    assert leftovers(root)
    # What a killed build of an older kgbuild left inside dist/ goes too.
    (out / ".kg.ttl.k2j3h4.tmp").write_bytes(b"half a file")
    proc = run_build(root, out)
    assert proc.returncode == 0, proc.stderr
    assert leftovers(root) == []
    assert snapshot(out) == snapshot(root / "expected-dist")
    assert_one_complete_build(out)


# ---------------------------------------------------------------------------- a full disk


def _mount_tmpfs(where: Path, size: int) -> None:
    where.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        pytest.skip(f"cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {detail.strip()}")


def _used_bytes(directory: Path) -> int:
    return sum(p.stat().st_blocks * 512 for p in directory.rglob("*") if p.is_file())


def test_a_full_disk_leaves_the_previous_build(tmp_path: Path) -> None:
    root = copy_project(FIXTURE / "data", FIXTURE / "ontology", tmp_path / "proj")
    elsewhere = root / "elsewhere" / "dist"
    assert run_build(root, elsewhere).returncode == 0
    used = _used_bytes(elsewhere)
    disk = root / "disk"
    # Room for the previous build and half of another.
    _mount_tmpfs(disk, (used * 3 // 2 // 4096 + 1) * 4096)
    try:
        out = disk / "dist"
        shutil.copytree(elsewhere, out)
        previous = snapshot(out)
        change_data(root)

        proc = run_build(root, out)
        assert proc.returncode == 2
        assert re.fullmatch(
            r"kgbuild: error: cannot write 'disk/dist/[^']+': the disk is full "
            r"\(No space left on device\); free some space or choose another --out directory\n",
            proc.stderr,
        ), proc.stderr
        assert snapshot(out) == previous
        assert_one_complete_build(out)
        assert sorted(p.name for p in disk.iterdir()) == ["dist"], "no temporary file is left"

        # The mount point itself cannot be switched: said before any work.
        proc = run_build(root, disk)
        assert proc.returncode == 2
        assert proc.stderr.startswith("kgbuild: error: cannot build into 'disk': it is a mount")
        assert proc.stderr.count("\n") == 1
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=60)


# ---------------------------------------------------------------------------- readers


def mini_project(tmp_path: Path) -> Path:
    return copy_project(FIXTURE / "data", FIXTURE / "ontology", tmp_path / "proj")


def test_a_reader_keeps_the_build_it_opened(tmp_path: Path, monkeypatch) -> None:
    """A query or a server that opened the previous build reads it, whole, after a new build
    is switched in and the old directory removed: its store, a new handle on it (a query's
    worker), the index and every file."""
    monkeypatch.setattr("kgbuild.dist.MEMORY_STORE_LIMIT", 0)  # the on-disk store
    root = mini_project(tmp_path)
    out = root / "dist"
    build(root / "ontology", root / "data", out)
    reader = open_build(out)
    store = reader.store()
    assert reader.store_location == out / STORE_DIR
    kg_before = (out / KG_FILE).read_bytes()

    change_data(root)
    build(root / "ontology", root / "data", out)
    assert (out / KG_FILE).read_bytes() != kg_before
    assert leftovers(root) == []  # the old directory is gone

    assert labels(store) == ["Azerbaijan"]
    assert labels(reader.reopen_store()) == ["Azerbaijan"]
    assert reader.read(KG_FILE) == kg_before
    assert reader.index().label(AZERBAIJAN) == "Azerbaijan"
    newer = open_build(out)
    assert labels(newer.store()) == ["Azerbaijan, changed"]
    assert newer.index().label(AZERBAIJAN) == "Azerbaijan, changed"


AZERBAIJAN = URIRef("https://w3id.org/kgbuild/id/place/azerbaijan")


def labels(store) -> list[str]:
    return sorted(str(row["label"].value) for row in store.query(LABEL_QUERY))


# ---------------------------------------------------------------------------- what dist/ holds


def test_a_directory_with_other_files_is_not_replaced(tmp_path: Path, monkeypatch) -> None:
    root = mini_project(tmp_path)
    out = root / "dist"
    build(root / "ontology", root / "data", out)
    before = snapshot(out)
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    monkeypatch.chdir(root)
    with pytest.raises(InputError) as info:
        build(root / "ontology", root / "data", out)
    assert str(info.value) == (
        "cannot build into 'dist': 'dist/notes.txt' was not written by kgbuild, and a build "
        "replaces the whole directory; move it elsewhere or choose another --out directory"
    )
    assert snapshot(out) == {**before, "notes.txt": b"mine\n"}
    assert leftovers(root) == []


def test_a_symbolic_link_to_dist_is_kept_and_its_target_replaced(tmp_path: Path) -> None:
    root = mini_project(tmp_path)
    target = tmp_path / "big-disk" / "kg-dist"
    target.mkdir(parents=True)
    target.chmod(0o750)
    (root / "dist").symlink_to(target)
    build(root / "ontology", root / "data", root / "dist")
    change_data(root)
    build(root / "ontology", root / "data", root / "dist")
    assert (root / "dist").is_symlink() and (root / "dist").resolve() == target.resolve()
    assert b"Azerbaijan, changed" in (target / KG_FILE).read_bytes()
    assert oct(target.stat().st_mode & 0o777) == oct(0o750)  # the directory's mode is kept
    assert leftovers(target.parent) == [] and leftovers(root) == []
    assert_one_complete_build(target)
    assert (target / INDEX_FILE).is_file()
