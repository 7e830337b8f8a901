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
def built_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real repository (ontology/, data/) built once per session; the directory holding
    its kg.ttl, for the query tests."""
    from kgbuild.build import build

    out = tmp_path_factory.mktemp("repo-dist")
    build(ROOT / "ontology", ROOT / "data", out)
    return out


@pytest.fixture(scope="session")
def real_build(tmp_path_factory: pytest.TempPathFactory):
    """The real repository built once per session (with its OWL 2 RL closure): the
    BuildResult, whose ``reasoning`` and ``outputs`` the reasoning tests read."""
    from kgbuild.build import build

    out = tmp_path_factory.mktemp("real-build")
    return build(ROOT / "ontology", ROOT / "data", out)
