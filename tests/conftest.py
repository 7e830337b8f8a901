"""Shared fixtures: a throw-away copy of the mini project, and ways to run kgbuild on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kgbuild.cli import cli
from kgbuild.errors import DataErrors
from kgbuild.load import LoadedData, load_data
from kgbuild.ontology import load_ontology

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
FIXTURE = ROOT / "tests" / "fixtures" / "mini"
REAL_CONTEXT = ROOT / "data" / "context.jsonld"


def write_file(path: Path, text: str | bytes) -> Path:
    """Write ``text`` (dedented) or bytes to ``path``, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@dataclass
class Project:
    """A mini kgbuild project in a temporary directory (which is also the working directory,
    so error messages show paths such as ``data/places.yaml``)."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def ontology(self) -> Path:
        return self.root / "ontology"

    @property
    def out(self) -> Path:
        return self.root / "dist"

    def write(self, rel: str, text: str | bytes) -> Path:
        """Write a file under data/ (dedented when text)."""
        return write_file(self.data / rel, text)

    def load(self) -> LoadedData:
        return load_data(self.data, load_ontology(self.ontology))

    def errors(self) -> list[str]:
        """The lines of the DataErrors that loading raises."""
        with pytest.raises(DataErrors) as info:
            self.load()
        return info.value.lines()

    def run(self, *args: str) -> Result:
        """Run the CLI in-process."""
        return CliRunner().invoke(cli, list(args), prog_name="kgbuild")


def dist_files(out: Path) -> dict[str, bytes]:
    """The regular files of a build directory by name (the store, a database, left out)."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "proj"
    shutil.copytree(FIXTURE, root)
    # The real shared context, copied rather than duplicated, so the fixtures never drift.
    shutil.copy(REAL_CONTEXT, root / "data" / "context.jsonld")
    monkeypatch.chdir(root)
    return Project(root)


def run_module(*args: str, cwd: Path, seed: str = "0") -> subprocess.CompletedProcess[str]:
    """Run ``python -m kgbuild`` in a separate process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(SRC)
    env["PYTHONHASHSEED"] = seed
    return subprocess.run(
        [sys.executable, "-m", "kgbuild", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


@pytest.fixture(scope="session")
def real_build(tmp_path_factory: pytest.TempPathFactory):
    """The real repository (ontology/, data/) built once per session: the BuildResult, whose
    ``reasoning`` and ``outputs`` the tests read. Its directory must not be changed."""
    from kgbuild.build import build

    out = tmp_path_factory.mktemp("real-build") / "dist"
    return build(ROOT / "ontology", ROOT / "data", out)


@pytest.fixture(scope="session")
def owlrl_real_closure(real_build):
    """owlrl's OWL 2 RL closure of the real build's asserted triples, as a user would compute
    it: the reference several tests compare the rule engine with, computed once."""
    import owlrl
    from rdflib import Graph

    graph = Graph()
    for triple in real_build.triples:
        graph.add(triple)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(graph)
    return graph


@pytest.fixture(scope="session")
def built_repo(real_build) -> Path:
    """The directory of the real build (kg.ttl, the store, ...), for the query tests."""
    return real_build.output.parent


@pytest.fixture(scope="session")
def kg_graph(built_repo: Path):
    """dist/kg.ttl of the real build in rdflib, parsed once per session: tests read it and must
    not change it."""
    from rdflib import Graph

    return Graph().parse(built_repo / "kg.ttl", format="turtle")


@pytest.fixture(scope="session")
def closure_graph(built_repo: Path):
    """dist/kg-closure.ttl of the real build in rdflib, parsed once per session (read only)."""
    from rdflib import Graph

    return Graph().parse(built_repo / "kg-closure.ttl", format="turtle")


@pytest.fixture(scope="session")
def real_site(built_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the real build, written once per session by `kgbuild site` into DIST/site
    of a copy of the build (the copy, since a build into DIST would take the site away)."""
    out = tmp_path_factory.mktemp("real-site") / "dist"
    shutil.copytree(built_repo, out, symlinks=True)
    result = CliRunner().invoke(
        cli, ["site", "--out", str(out), "--queries", str(ROOT / "queries")], prog_name="kgbuild"
    )
    assert result.exit_code == 0, result.output
    return out / "site"


# ---------------------------------------------------------------------------- a real Oxigraph


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oxigraph_command() -> str:
    """The `oxigraph` server of the `oxigraph` package (installed with the test extra)."""
    import sysconfig

    found = shutil.which("oxigraph") or shutil.which("oxigraph", path=sysconfig.get_path("scripts"))
    if found is None:
        pytest.fail("the `oxigraph` command is missing: pip install -e '.[test]'")
    return found


class OxigraphServer:
    """`oxigraph serve` (or `serve-read-only`) on 127.0.0.1 and a free port, with its store
    in ``location``; started, killed and restarted by the tests."""

    def __init__(self, location: Path, read_only: bool = False) -> None:
        self.location = location
        self.read_only = read_only
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OxigraphServer:
        import time
        import urllib.error
        import urllib.request

        self.port = free_port()
        mode = "serve-read-only" if self.read_only else "serve"
        self.process = subprocess.Popen(
            [oxigraph_command(), mode, "--location", str(self.location)]
            + ["--bind", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                pytest.fail(f"oxigraph {mode} exited: {error}")
            try:
                with urllib.request.urlopen(f"{self.url}/query?query=ASK%7B%7D", timeout=2):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        pytest.fail("oxigraph did not start within 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def kill(self) -> None:
        """Die at once, as a crashed server does."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()


# ---------------------------------------------------------------------------- the data ×2


@pytest.fixture(scope="session")
def scaled2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory of two copies of the real data under fresh IRIs (benchmarks/scale.py),
    written once per session: about 24,000 triples, more than ten copies of the first report's
    data held, and still small enough for owlrl to finish in seconds."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from scale import write_scaled
    finally:
        sys.path.pop(0)
    out = tmp_path_factory.mktemp("scaled") / "data2"
    write_scaled(2, out, ROOT / "data")
    return out
