"""Load the OWL ontology from ``*.ttl`` files."""

from __future__ import annotations

import os
from pathlib import Path

from rdflib import Graph
from rdflib.plugins.parsers.notation3 import BadSyntax

from kgbuild.errors import InputError, first_line
from kgbuild.namespaces import bind_prefixes

__all__ = ["SHAPES_DIR", "load_ontology", "load_shapes", "load_turtle_files"]

SHAPES_DIR = "shapes"  # the SHACL shapes live in ontology/shapes/, apart from the ontology


def _first_bad_line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def load_ontology(ontology_dir: str | os.PathLike[str]) -> Graph:
    """Parse every ``*.ttl`` file directly in ``ontology_dir`` (sorted by name) into one graph.

    Raises InputError for a missing directory, no Turtle files, bad UTF-8 or a syntax error.
    """
    return load_turtle_files(
        Path(ontology_dir), "ontology", "pass --ontology DIR with the ontology's *.ttl files"
    )


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
