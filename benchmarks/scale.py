"""Write a data directory holding N copies of the real data, each copy under fresh IRIs.

    python benchmarks/scale.py N OUT_DIR [--data data]

Copy 0 is the real data unchanged; copy k (k >= 1) renames every node id and every reference to
a data node by appending ``~copyK`` (``place/lachin-district`` becomes
``place/lachin-district~copy3``), so each copy is a separate, valid set of records that the
loader, the shapes and the reasoner treat like the real data. Ontology terms, literals and
background IRIs outside the data namespace are shared by all copies; a Wikidata or GeoNames
identifier is moved up by a billion per copy, since one item cannot be two places. The copies are
written as ``OUT_DIR/copyNNN/*.yaml`` next to one ``OUT_DIR/context.jsonld``.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from kgbuild.load import CONTEXT_FILE, Context, data_files, load_context, read_records
from kgbuild.namespaces import ID_BASE

REPO = Path(__file__).resolve().parents[1]
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _rename(raw: str, context: Context, suffix: str) -> str:
    """The id ``raw`` (relative, prefixed or absolute) renamed for a copy, written relative."""
    iri = raw
    prefix, sep, rest = raw.partition(":")
    if sep and prefix in context.prefixes and not rest.startswith("//"):
        iri = context.prefixes[prefix] + rest
    elif not sep:
        iri = ID_BASE + raw
    if not iri.startswith(ID_BASE):
        return _external_copy(raw, suffix)
    return iri[len(ID_BASE) :] + suffix


# A copy of a place is another place: its link to Wikidata or GeoNames gets an identifier of its
# own (the number moved up by a billion per copy), as no item may match two nodes (shape S09).
_NUMBERED = re.compile(
    r"(http://www\.wikidata\.org/entity/Q|https://sws\.geonames\.org/)([0-9]+)(/?)"
)


def _external_copy(raw: str, suffix: str) -> str:
    match = _NUMBERED.fullmatch(raw)
    if match is None or not suffix:
        return raw
    copy = int(suffix.removeprefix("~copy"))
    return f"{match[1]}{copy * 10**9 + int(match[2])}{match[3]}"


def _copy_node(value: Any, context: Context, suffix: str, reference: bool = False) -> Any:
    """A plain-Python copy of a record (or of one of its values) with its data ids renamed:
    ids, references, the node an `extend` record adds to, the values named in `for`
    (``key=value``) and the nodes and triples of `sides`."""
    if isinstance(value, dict):
        copied = {}
        for key, item in value.items():
            term = context.properties.get(key)
            is_reference = term is not None and term.kind == "reference"
            if key in ("id", "extend") and isinstance(item, str):
                copied[key] = _rename(item, context, suffix)
            elif key == "for":
                copied[key] = [_rename_for(target, context, suffix) for target in _as_list(item)]
            elif key == "sides":
                copied[key] = [_copy_side(side, context, suffix) for side in _as_list(item)]
            else:
                copied[key] = _copy_node(item, context, suffix, is_reference)
        return copied
    if isinstance(value, list):
        return [_copy_node(item, context, suffix, reference) for item in value]
    if reference and isinstance(value, str):
        return _rename(value, context, suffix)
    return value


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _is_reference(key: str, context: Context) -> bool:
    term = context.properties.get(key)
    return term is not None and term.kind == "reference"


def _rename_for(target: str, context: Context, suffix: str) -> str:
    key, eq, raw = str(target).partition("=")
    if eq and _is_reference(key, context):
        return f"{key}={_rename(raw, context, suffix)}"
    return str(target)


def _copy_side(side: Any, context: Context, suffix: str) -> Any:
    if isinstance(side, str):
        return _rename(side, context, suffix)
    subject, key, raw = side
    value = _rename(raw, context, suffix) if _is_reference(key, context) else raw
    return [_rename(subject, context, suffix), key, value]


def write_scaled(copies: int, out_dir: Path, data_dir: Path = REPO / "data") -> list[Path]:
    """Write ``copies`` copies of the data in ``data_dir`` to ``out_dir`` (replaced if it
    exists); returns the data files written."""
    if copies < 1:
        raise ValueError("copies must be at least 1")
    context = load_context(data_dir)
    records = {path.relative_to(data_dir): read_records(path) for path in data_files(data_dir)}
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    shutil.copy(data_dir / CONTEXT_FILE, out_dir / CONTEXT_FILE)
    written = []
    for k in range(copies):
        suffix = f"~copy{k}" if k else ""
        for rel, nodes in records.items():
            doc = {
                "@context": CONTEXT_FILE,
                "@graph": [_copy_node(node, context, suffix) for node in nodes],
            }
            path = out_dir / f"copy{k:03d}" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            text = yaml.dump(doc, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=4096)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("copies", type=int, help="how many copies of the data (1 = the data)")
    parser.add_argument("out", type=Path, help="the data directory to write (replaced)")
    parser.add_argument("--data", type=Path, default=REPO / "data", help="the data to copy")
    args = parser.parse_args()
    files = write_scaled(args.copies, args.out, args.data)
    size = sum(p.stat().st_size for p in files)
    print(f"Wrote {len(files)} files, {size:,} bytes, to {args.out}")


if __name__ == "__main__":
    main()
