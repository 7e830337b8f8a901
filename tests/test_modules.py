"""How the modules of kgbuild depend on each other: shared helpers live in small leaf modules,
no module reaches into another's private names, and the files of dist/ are named in one place."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import kgbuild
from kgbuild import dist_files

SRC = Path(kgbuild.__file__).parent


def _modules() -> list[tuple[Path, ast.Module]]:
    # Subpackages too (kgbuild.load is one): each of their modules is a module of its own.
    paths = sorted(SRC.rglob("*.py"))
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in paths]


def _name(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def test_no_module_imports_private_names_of_another():
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (
                (node.module or "").startswith("kgbuild") or node.level > 0
            ):
                module = "." * node.level + (node.module or "")
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{_name(path)}:{node.lineno} {module}.{alias.name}")
    assert found == []


def test_naming_a_term_in_a_message_does_not_load_pyshacl():
    # reason and explain name terms the way the validation report does; that must not cost
    # loading pySHACL (and the SPARQL machinery it brings).
    code = (
        "import sys\n"
        "from rdflib import URIRef\n"
        "from kgbuild.explain import triple_text\n"
        "from kgbuild.namespaces import ID_BASE, KG, OWL, RDF\n"
        "from kgbuild.reason import reference_reasons\n"
        "t = (URIRef(ID_BASE + 'place/x'), RDF.type, KG.Place)\n"
        "print(triple_text(t))\n"
        "print(reference_reasons([(t[0], URIRef(str(OWL) + 'madeUp'), t[0])]))\n"
        "print('pyshacl' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "<place/x> a kg:Place"
    assert lines[1] == "['it uses owl:madeUp']"
    assert lines[2] == "False"


# Every name dist_files gives a file or directory of dist/.
DIST_NAMES = {value for name, value in vars(dist_files).items() if name.endswith(("_FILE", "_DIR"))}


def test_the_files_of_dist_are_named_in_one_module():
    # Help texts and docstrings mention the files; code uses the names of dist_files only.
    found = []
    for path, tree in _modules():
        if path.name == "dist_files.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in DIST_NAMES:
                found.append(f"{_name(path)}:{node.lineno} {node.value}")
    assert found == []
