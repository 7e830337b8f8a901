"""The shared JSON-LD context, ``context.jsonld`` of the data directory: read it and classify
its terms (prefixes, names of classes and individuals, properties and the kind of value each
takes). Remote contexts are refused, never fetched.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgbuild.errors import InputError, excerpt, first_line
from kgbuild.load.files import CONTEXT_FILE, check_inside
from kgbuild.load.yaml_positions import line_at
from kgbuild.namespaces import ID_BASE

KEYWORD_ALIASES = {"id": "@id", "type": "@type"}
_CONTEXT_KEYWORDS = frozenset({"@version", "@base", "@protected"})
_GEN_DELIMS = (":", "/", "?", "#", "[", "]", "@")

SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", re.S)


@dataclass(frozen=True)
class PropertyTerm:
    """A property term of the context and the kind of value it takes.

    kind is one of: "reference" (@type @id), "vocab" (@type @vocab), "typed" (a datatype),
    "plain" (a plain string), "language" (@language), "language-map" (@container @language).
    """

    name: str
    iri: str
    kind: str
    datatype: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Context:
    """The classified terms of ``context.jsonld``."""

    path: Path
    raw: dict[str, Any]  # the "@context" object, passed unchanged to the JSON-LD parser
    base: str
    prefixes: dict[str, str]  # prefix -> namespace IRI
    names: dict[str, str]  # class/individual/unit name term -> IRI
    properties: dict[str, PropertyTerm]


def _context_error(path: Path, text: str, term: str | None, message: str, hint: str) -> InputError:
    line = None
    if term is not None:
        match = re.search(rf'"{re.escape(term)}"\s*:', text)
        if match:
            line = line_at(text, match.start())
    return InputError(message, path, line, hint)


def load_context(data_dir: str | os.PathLike[str]) -> Context:
    """Read and classify ``data_dir/context.jsonld``. Raises InputError if missing or invalid."""
    path = Path(data_dir) / CONTEXT_FILE
    check_inside(path, Path(data_dir), Path(data_dir).resolve())
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise InputError(
            f"missing {CONTEXT_FILE}",
            path,
            None,
            "the data directory must hold the shared JSON-LD context",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {CONTEXT_FILE}: {first_line(exc)}", path) from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", path, exc.lineno, "fix the JSON syntax"
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("@context"), dict):
        raise InputError(
            'the file must be a JSON object whose "@context" is an object of term definitions',
            path,
            1,
            "kgbuild never fetches remote contexts",
        )
    raw: dict[str, Any] = doc["@context"]

    def fail(
        term: str | None, message: str, hint: str = "kgbuild supports simple term definitions"
    ) -> InputError:
        return _context_error(path, text, term, message, hint)

    def expand(value: str, depth: int = 0) -> str:
        match = SCHEME_RE.fullmatch(value)
        if match and depth < 10:
            prefix, rest = match.groups()
            target = raw.get(prefix)
            if isinstance(target, str) and not target.startswith("@") and not rest.startswith("//"):
                return expand(target, depth + 1) + rest
        return value

    base = raw.get("@base", ID_BASE)
    if base != ID_BASE:
        raise fail(
            "@base", f"@base is '{excerpt(base)}'", f"kgbuild data ids live under '{ID_BASE}'"
        )
    prefixes: dict[str, str] = {}
    names: dict[str, str] = {}
    properties: dict[str, PropertyTerm] = {}
    for term, value in raw.items():
        if term.startswith("@"):
            if term not in _CONTEXT_KEYWORDS:
                raise fail(term, f"unsupported context keyword '{excerpt(term)}'")
            continue
        if isinstance(value, str):
            if value.startswith("@"):
                if KEYWORD_ALIASES.get(term) != value:
                    raise fail(
                        term,
                        f"unsupported keyword alias '{excerpt(term)}': '{excerpt(value)}'",
                        "only 'id' (@id) and 'type' (@type) are aliases",
                    )
                continue
            iri = expand(value)
            if iri.endswith(_GEN_DELIMS):
                prefixes[term] = iri
            else:
                names[term] = iri
            continue
        if not isinstance(value, dict) or not isinstance(value.get("@id"), str):
            raise fail(term, f"term '{excerpt(term)}' must be a string or an object with \"@id\"")
        extra = set(value) - {"@id", "@type", "@language", "@container"}
        if extra:
            raise fail(term, f"term '{excerpt(term)}' uses unsupported {', '.join(sorted(extra))}")
        iri = expand(value["@id"])
        if "@container" in value:
            if value["@container"] != "@language" or len(value) != 2:
                raise fail(
                    term,
                    f"term '{excerpt(term)}' has an unsupported @container",
                    'only "@container": "@language" is supported',
                )
            properties[term] = PropertyTerm(term, iri, "language-map")
        elif "@language" in value:
            if "@type" in value or not isinstance(value["@language"], str):
                raise fail(term, f"term '{excerpt(term)}' has an invalid @language")
            properties[term] = PropertyTerm(term, iri, "language", language=value["@language"])
        elif "@type" in value:
            kind_of = value["@type"]
            if kind_of == "@id":
                properties[term] = PropertyTerm(term, iri, "reference")
            elif kind_of == "@vocab":
                properties[term] = PropertyTerm(term, iri, "vocab")
            elif isinstance(kind_of, str) and not kind_of.startswith("@"):
                properties[term] = PropertyTerm(term, iri, "typed", datatype=expand(kind_of))
            else:
                raise fail(term, f"term '{excerpt(term)}' has an unsupported @type")
        else:
            properties[term] = PropertyTerm(term, iri, "plain")
    for alias in KEYWORD_ALIASES:
        if alias not in raw:
            raise fail(
                None,
                f"the context does not define '{excerpt(alias)}'",
                f'add "{alias}": "{KEYWORD_ALIASES[alias]}"',
            )
    return Context(path, raw, ID_BASE, prefixes, names, properties)
