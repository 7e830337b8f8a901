"""Rewrite tests/queries/NAME.srj from the current queries and data.

    python tests/queries/regenerate.py [NAME ...]

Builds the repository into a temporary directory, runs each stored query (all of them when no
NAME is given) with its header's example parameters on rdflib, on the asserted or the inferred
graph as the header says, and writes SPARQL 1.1 Query Results JSON, indented (one line per key,
so a changed row shows in a diff; `kgbuild query --format json` writes one line). A regenerated
file is only a proposal: check every changed row against the report before committing it (see
README.md).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import yaml

from kgbuild.build import build
from kgbuild.query import format_results, load_dataset, load_queries, run_query

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def example_params(path: Path) -> tuple[dict[str, str], bool]:
    lines = [
        line[3:] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#+ ")
    ]
    meta = yaml.safe_load("\n".join(lines))
    return {p["name"]: str(p["example"]) for p in meta["params"] or []}, bool(meta["inferred"])


def main(names: list[str]) -> None:
    queries = load_queries(REPO / "queries")
    with tempfile.TemporaryDirectory() as tmp:
        build(REPO / "ontology", REPO / "data", tmp)
        datasets = {flag: load_dataset(tmp, inferred=flag) for flag in (False, True)}
        for name in names or sorted(queries):
            params, inferred = example_params(REPO / "queries" / f"{name}.rq")
            result = run_query(queries[name], datasets[inferred], params, engine="rdflib")
            doc = json.loads(format_results(result, "json"))
            text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
            (HERE / f"{name}.srj").write_text(text, "utf-8")
            print(f"{name}: {len(result.rows)} rows")


if __name__ == "__main__":
    main(sys.argv[1:])
