"""``kgbuild site``: a static web site of the build in dist/, readable from disk or any server.

Everything is read once from the build's Oxigraph store (``Build.store``) and grouped here: a
page per data node (``id/KIND/SLUG.html``, the IRI's path under the site root), a page per
report with an anchor per paragraph, the stored queries with their results, and an overview.
The timeline, map and figures come from ``kgbuild.charts``, the ontology documentation from
``kgbuild.ontology_docs``. The site is written into a new directory beside the target and
switched in at once (``StagedDirectory``); every file is deterministic (sorted, no time stamps)
and every link is relative, so it works from file:// as from a web server, with no network.
"""

from __future__ import annotations

import html
import os
import posixpath
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from kgbuild import charts
from kgbuild.dist import ASSERTED_GRAPH, Build, open_build
from kgbuild.errors import InputError, display_path
from kgbuild.namespaces import ID_BASE, KG, PREFIXES, RDF, RDFS, qname
from kgbuild.ontology_docs import write_ontology_docs

__all__ = ["SITE_DIR", "SiteResult", "page_href", "page_path", "write_site"]

SITE_DIR = "site"  # the default site directory, inside the build's directory
STYLE_FILE = "style.css"
# What a site directory holds; only these are replaced when a site is written again.
SITE_ENTRIES = frozenset(
    [
        "index.html",
        STYLE_FILE,
        "timeline.html",
        "map.html",
        "figures.html",
        "ontology",
        "queries",
        "id",
    ]
)
# Data nodes that are shown inside other pages rather than on their own: an attestation is
# printed with every statement that rests on it, a reified statement with its triple.
_NO_PAGE_KINDS = frozenset(["attestation", "statement"])

_KG = str(KG)
_RDF_TYPE = str(RDF.type)
_LABEL = str(RDFS.label)
_DESCRIPTION = "http://purl.org/dc/terms/description"
_NOTE = "http://www.w3.org/2004/02/skos/core#editorialNote"
_ATTESTED_BY = _KG + "attestedBy"
_STATED_IN = _KG + "statedIn"
_BACKGROUND = _KG + "backgroundSource"
_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
# The provenance summary of a node: shown as its sources, not as statements.
_PROVENANCE = frozenset([_ATTESTED_BY, _STATED_IN, _BACKGROUND])


# --------------------------------------------------------------------------------------------
# Paths and links


def page_path(iri: str) -> str | None:
    """The page of ``iri`` relative to the site root (``id/place/x.html`` for the data IRI
    ``ID_BASE + place/x``); None for IRIs that have no page of their own."""
    if not iri.startswith(ID_BASE):
        return None
    rest = iri[len(ID_BASE) :]
    kind = rest.split("/", 1)[0]
    if not rest or "/" not in rest or kind in _NO_PAGE_KINDS or "#" in rest or "?" in rest:
        return None
    return f"id/{rest}.html"


def relative_href(target: str, from_page: str) -> str:
    """The relative link from the page ``from_page`` to ``target`` (both relative to the site
    root, ``/``-separated), percent-encoded where needed; an anchor ``#...`` is kept."""
    path, sep, anchor = target.partition("#")
    rel = posixpath.relpath(path, posixpath.dirname(from_page) or ".")
    return quote(rel, safe="/-._~!$&'()*+,;=:@") + (sep + quote(anchor, safe="-._~") if sep else "")


def page_href(iri: str, from_page: str) -> str | None:
    """The relative href from the page ``from_page`` (e.g. ``timeline.html``) to the page of
    ``iri``; None when the IRI has no page."""
    target = page_path(iri)
    return None if target is None else relative_href(target, from_page)


# --------------------------------------------------------------------------------------------
# The graph, read once


class Lit(NamedTuple):
    value: str
    language: str
    datatype: str


class Blank(NamedTuple):
    id: str


Term = str | Lit | Blank  # an IRI is a plain str
Triple = tuple[str, str, Term]


def _term(term: Any) -> Term:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        return Lit(term.value, term.language or "", term.datatype.value if term.datatype else "")
    return Blank(str(term.value))


def _sort_key(term: Term) -> tuple[int, str, str, str]:
    if isinstance(term, Lit):
        return (1, term.value, term.language, term.datatype)
    if isinstance(term, Blank):
        return (2, term.id, "", "")
    return (0, term, "", "")


@dataclass
class Graph:
    """The build's triples grouped for the pages: the closure, which of them are asserted,
    and the provenance model (see docs/modelling.md)."""

    closure: set[Triple]
    asserted: set[Triple]
    out: dict[Any, list[tuple[str, Term]]] = field(default_factory=lambda: defaultdict(list))
    into: dict[str, list[tuple[Any, str]]] = field(default_factory=lambda: defaultdict(list))
    labels: dict[str, str] = field(default_factory=dict)
    reified: dict[Triple, str] = field(default_factory=dict)  # triple -> its rdf:Statement

    def __post_init__(self) -> None:
        for s, p, o in sorted(self.closure, key=lambda t: (str(t[0]), t[1], _sort_key(t[2]))):
            self.out[s].append((p, o))
            if isinstance(o, str):
                self.into[o].append((s, p))
        labels: dict[str, list[Lit]] = defaultdict(list)
        for s, p, o in self.asserted:
            if p == _LABEL and isinstance(o, Lit) and isinstance(s, str):
                labels[s].append(o)
        for s, found in labels.items():
            # English first, then any language, each time the first in sort order.
            found.sort(key=lambda lit: (lit.language not in ("en", ""), lit.language, lit.value))
            self.labels[s] = found[0].value
        statements: dict[str, dict[str, Term]] = defaultdict(dict)
        rdf = str(RDF)
        for s, p, o in self.asserted:
            if p in (rdf + "subject", rdf + "predicate", rdf + "object") and isinstance(s, str):
                statements[s][p[len(rdf) :]] = o
        for statement, parts in statements.items():
            if len(parts) == 3 and isinstance(parts["subject"], str):
                triple = (parts["subject"], str(parts["predicate"]), parts["object"])
                self.reified[triple] = statement

    def values(self, node: Any, prop: str) -> list[Term]:
        return [o for p, o in self.out.get(node, ()) if p == prop]

    def value(self, node: Any, prop: str) -> Term | None:
        found = self.values(node, prop)
        return found[0] if found else None

    def types(self, node: Any) -> list[str]:
        return [o for o in self.values(node, _RDF_TYPE) if isinstance(o, str)]

    def is_a(self, node: Any, cls: str) -> bool:
        return (node, _RDF_TYPE, cls) in self.closure

    def label(self, iri: str) -> str:
        if iri == _RDF_TYPE:
            return "is a"
        if iri in self.labels:
            return self.labels[iri]
        if iri.startswith(ID_BASE):
            return iri[len(ID_BASE) :]
        short = _qname(iri)
        return short

    def attestations(self, triple: Triple) -> list[str]:
        """What an asserted triple rests on: its reified statement's attestations, else its
        subject's default (``kg:attestedBy``); none for an inferred triple."""
        if triple not in self.asserted:
            return []
        statement = self.reified.get(triple)
        holder: Any = statement if statement is not None else triple[0]
        return sorted(o for o in self.values(holder, _ATTESTED_BY) if isinstance(o, str))


def _qname(iri: str) -> str:
    """``prefix:local`` where a project prefix fits, else the IRI itself."""
    short = qname(iri)
    return iri if short.startswith("<") else short


def read_graph(build: Build) -> Graph:
    """The closure and the asserted triples, in two queries on the build's store."""
    store = build.store()
    closure = {
        (_term(r["s"]), _term(r["p"]), _term(r["o"]))
        for r in store.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    }
    asserted = {
        (_term(r["s"]), _term(r["p"]), _term(r["o"]))
        for r in store.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{ASSERTED_GRAPH}> {{ ?s ?p ?o }} }}")
    }
    return Graph(closure, asserted)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# HTML


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


NAV = [
    ("index.html", "Overview"),
    ("timeline.html", "Timeline"),
    ("map.html", "Map"),
    ("figures.html", "Figures"),
    ("queries/index.html", "Queries"),
    ("ontology/index.html", "Ontology"),
]


def page(path: str, title: str, body: str) -> str:
    """A whole page at ``path`` (relative to the site root) around ``body``."""
    style = relative_href(STYLE_FILE, path)
    items = []
    for target, name in NAV:
        current = ' aria-current="page"' if target == path else ""
        items.append(f'<li><a href="{relative_href(target, path)}"{current}>{esc(name)}</a></li>')
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)} · kgbuild</title>\n"
        f'<link rel="stylesheet" href="{style}">\n</head>\n<body>\n'
        '<a class="skip" href="#main">Skip to the content</a>\n'
        '<header><nav aria-label="Site"><ul>' + "".join(items) + "</ul></nav></header>\n"
        f'<main id="main" tabindex="-1">\n<h1>{esc(title)}</h1>\n{body}</main>\n'
        "<footer><p>Made by <code>kgbuild site</code> from the build it describes; a later "
        "<code>kgbuild build</code> removes it.</p></footer>\n</body>\n</html>\n"
    )


STYLE = """\
:root { color-scheme: light; --fg: #1b1b1b; --muted: #555; --link: #0b57a4; --line: #ccc;
  --bg: #fff; --soft: #f3f5f7; --focus: #c24e00; }
* { box-sizing: border-box; }
body { margin: 0; font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); overflow-wrap: anywhere; }
a { color: var(--link); }
a:focus-visible, main:focus-visible, summary:focus-visible {
  outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--bg); padding: .5rem; }
.skip:focus { left: .5rem; z-index: 10; }
header { background: var(--soft); border-bottom: 1px solid var(--line); }
header ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0;
  padding: .5rem 1rem; max-width: 70rem; }
header a[aria-current] { font-weight: 600; color: var(--fg); }
main, footer { max-width: 70rem; margin: 0 auto; padding: 0 1rem; }
footer { color: var(--muted); font-size: .875rem; border-top: 1px solid var(--line);
  margin-top: 2rem; }
h1 { font-size: 1.6rem; line-height: 1.25; }
h2 { font-size: 1.3rem; margin-top: 2rem; }
h3 { font-size: 1.1rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: .875rem; }
pre { background: var(--soft); padding: .75rem; overflow-x: auto; }
.table { overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left;
  vertical-align: top; }
th { background: var(--soft); }
.mark { display: inline-block; font-size: .75rem; padding: 0 .3rem; border-radius: .2rem;
  border: 1px solid currentColor; }
.asserted { color: #1d6b2a; }
.inferred { color: #7a4b00; }
.muted, .sources { color: var(--muted); font-size: .9rem; }
.sources { margin: .15rem 0 0; padding-left: 1.2rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
section.paragraph { border-left: 3px solid var(--line); padding-left: .75rem; margin: 1rem 0; }
section.paragraph:target { border-color: var(--focus); }
ul.columns { columns: 16rem; }
svg { max-width: 100%; height: auto; }
@media (max-width: 30rem) {
  dl.meta { grid-template-columns: 1fr; }
  dl.meta dd { margin-bottom: .5rem; }
}
"""


# --------------------------------------------------------------------------------------------
# Writing the site


@dataclass
class SiteResult:
    site: Path
    pages: int


def _site_owned(entry: Path) -> bool:
    return entry.name in SITE_ENTRIES


def write_site(
    out_dir: str | os.PathLike[str] = "dist",
    site_dir: str | os.PathLike[str] | None = None,
    queries_dir: str | os.PathLike[str] = "queries",
) -> SiteResult:
    """Write the site of the build in ``out_dir`` to ``site_dir`` (default OUT/site). InputError
    when there is no usable build (see ``open_build``) or the directory holds other files."""
    from kgbuild.query import load_queries
    from kgbuild.serialize import StagedDirectory

    build = open_build(out_dir)
    target = Path(site_dir) if site_dir is not None else Path(out_dir) / SITE_DIR
    check_site_dir(target)
    queries = load_queries(queries_dir)
    staged = StagedDirectory(
        target, _site_owned, hint="choose another --site directory (or remove that file)"
    )
    with staged:
        assert staged.path is not None
        files = Site(build, read_graph(build), queries).files(staged.path)
        for rel, text in sorted(files.items()):
            path = staged.path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                path.write_bytes(text.encode("utf-8"))
            except OSError as exc:
                from kgbuild.serialize import write_error

                raise write_error(target / rel, exc) from exc
        staged.commit()
    return SiteResult(target, sum(1 for rel in files if rel.endswith(".html")))


@dataclass
class Corroboration:
    """The rows of the stored `corroboration` query, which owns the rule of what counts as an
    independent source, keyed by statement (subject, property, value; a literal by its text)."""

    origins: dict[tuple[str, tuple[str, str, Any]], str] = field(default_factory=dict)
    # statement -> (origin, report, paragraph number) of each of its sources
    sources: dict[tuple[str, str, Any], list[tuple[str, str, int]]] = field(default_factory=dict)

    @classmethod
    def of(cls, build: Build, query: Any) -> Corroboration:
        """Runs ``query`` (none: no statement is shown as corroborated) without parameters."""
        from kgbuild.query import Dataset, run_query

        found = cls()
        if query is None:
            return found
        result = run_query(query, Dataset(build, query.inferred), {}, engine="oxigraph")
        for row in result.rows:
            if "attestation" not in row or "origin" not in row:
                continue
            key = (str(row["subject"]), str(row["property"]), str(row["value"]))
            found.origins[(str(row["attestation"]), key)] = str(row["origin"])
            where = (str(row["origin"]), str(row["report"]), int(row["paragraph"]))
            found.sources.setdefault(key, []).append(where)
        return found


class Site:
    """The pages of one build, as text by path (relative to the site root)."""

    def __init__(self, build: Build, graph: Graph, queries: dict[str, Any]) -> None:
        self.build = build
        self.g = graph
        self.queries = queries
        nodes: set[str] = set()
        for s, _p, o in graph.closure:
            for term in (s, o):
                if isinstance(term, str) and page_path(term) is not None:
                    nodes.add(term)
        self.nodes = sorted(nodes)
        self.reports = sorted(n for n in nodes if graph.is_a(n, _KG + "SourceDocument"))
        # passage -> (report, paragraph number)
        self.passages: dict[str, tuple[str, int]] = {}
        for s, p, o in graph.asserted:
            if p == _KG + "inDocument" and isinstance(s, str) and isinstance(o, str):
                number = graph.value(s, _KG + "paragraphNumber")
                if isinstance(number, Lit):
                    self.passages[s] = (o, int(number.value))
        self.passage_at = {where: passage for passage, where in self.passages.items()}
        # attestation -> the asserted triples that rest on it
        self.resting: dict[str, list[Triple]] = defaultdict(list)
        for triple in sorted(graph.asserted, key=_triple_key):
            if triple[1] in _PROVENANCE or not isinstance(triple[0], str):
                continue
            if triple[0] in graph.reified.values() or triple[0].startswith(ID_BASE + "attest"):
                continue
            for attestation in graph.attestations(triple):
                self.resting[attestation].append(triple)
        self._corroboration: Corroboration | None = None

    # -- links and terms

    def link(self, iri: str, from_page: str, text: str | None = None) -> str:
        shown = esc(text if text is not None else self.g.label(iri))
        href = page_href(iri, from_page)
        if href is None:
            if iri.startswith(ID_BASE):
                return shown
            return f'<span title="{esc(iri)}">{shown}</span>'
        return f'<a href="{href}">{shown}</a>'

    def term(self, term: Term, from_page: str) -> str:
        if isinstance(term, Lit):
            if term.datatype.endswith("#anyURI") and term.value.startswith(("http:", "https:")):
                return f'<a href="{esc(term.value)}">{esc(term.value)}</a>'
            if not term.language:
                return f"<span>{esc(term.value)}</span>"
            # The language is marked up for screen readers, and shown where it is not English.
            note = ""
            if term.language != "en":
                note = f' <span class="muted">({esc(term.language)})</span>'
            return f'<span lang="{esc(term.language)}">{esc(term.value)}</span>{note}'
        if isinstance(term, Blank):
            return '<span class="muted">(a blank node)</span>'
        if term.startswith(ID_BASE + "statement/"):
            return self.statement_text(term, from_page)
        if not term.startswith(ID_BASE) and term.startswith(("http:", "https:")):
            if term.startswith(_KG) or any(term.startswith(ns) for ns in PREFIXES.values()):
                return f'<span title="{esc(term)}">{esc(self.g.label(term))}</span>'
            return f'<a href="{esc(term)}">{esc(term)}</a>'
        return self.link(term, from_page) + self.dates(term)

    def dates(self, node: str) -> str:
        """The day, or the earliest and latest days, of a time node, after its link."""
        day = self.g.value(node, _KG + "date")
        if isinstance(day, Lit):
            return f' <span class="muted">({esc(day.value)})</span>'
        bounds = [self.g.value(node, _KG + name) for name in ("earliest", "latest")]
        if all(isinstance(b, Lit) for b in bounds):
            first, last = (str(b.value) for b in bounds if isinstance(b, Lit))
            return f' <span class="muted">({esc(first)} to {esc(last)})</span>'
        return ""

    def statement_text(self, statement: str, from_page: str) -> str:
        """A reified statement as its triple, each part linked."""
        for triple, node in self.g.reified.items():
            if node == statement:
                s, p, o = triple
                return (
                    f"{self.link(s, from_page)} — {esc(self.g.label(p))} — "
                    f"{self.term(o, from_page)}"
                )
        return self.link(statement, from_page)

    def passage_link(self, passage: str, from_page: str) -> str:
        if passage not in self.passages:
            return self.link(passage, from_page)
        report, number = self.passages[passage]
        target = page_path(report)
        assert target is not None
        href = relative_href(f"{target}#p-{number}", from_page)
        return f'<a href="{href}">{esc(self.g.label(report))}, ¶{number}</a>'

    def attestation_text(self, attestation: str, from_page: str) -> str:
        """One source of a statement: a passage (report, paragraph) in a voice, or a
        background record."""
        parts = []
        for passage in self.g.values(attestation, _STATED_IN):
            if isinstance(passage, str):
                parts.append(self.passage_link(passage, from_page))
        voice = self.g.value(attestation, _KG + "accordingTo")
        if isinstance(voice, str):
            parts.append("according to " + self.link(voice, from_page))
        detail = self.g.value(attestation, _KG + "attributionDetail")
        if isinstance(detail, Lit):
            parts.append(f"({self.term(detail, from_page)})")
        for record in self.g.values(attestation, _BACKGROUND):
            if isinstance(record, str):
                parts.append("background: " + self.link(record, from_page))
        return " ".join(parts) or self.link(attestation, from_page)

    def sources_list(self, attestations: Iterable[str], from_page: str) -> str:
        items = [self.attestation_text(a, from_page) for a in attestations]
        if not items:
            return ""
        return '<ul class="sources">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>"

    # -- the files

    def files(self, staging: Path) -> dict[str, str]:
        files: dict[str, str] = {STYLE_FILE: STYLE}
        files["index.html"] = self.index_page()
        for node in self.nodes:
            path = page_path(node)
            assert path is not None
            files[path] = (
                self.report_page(node, path)
                if node in self.reports
                else (self.node_page(node, path))
            )
        files.update(self.query_pages())
        files.update(self.chart_pages())
        self.ontology_docs(staging / "ontology")
        return files

    # -- index

    def index_page(self) -> str:
        path = "index.html"
        g = self.g
        summary = self.build.summary
        triples = self.build.manifest.get("triples", {})
        issued = sorted(
            str(d.value)
            for r in self.reports
            for d in g.values(r, "http://purl.org/dc/terms/issued")
            if isinstance(d, Lit)
        )
        event_days = sorted(
            str(day.value)[:10]
            for event in self.nodes
            if g.is_a(event, _KG + "Event")
            for time in g.values(event, _KG + "hasTime")
            for prop in (_KG + "date", _KG + "earliest", _KG + "latest")
            for day in g.values(time, prop)
            if isinstance(day, Lit)
        )
        body = ['<section aria-labelledby="covers"><h2 id="covers">What the graph covers</h2>']
        body.append(
            "<p>News reports on the aftermath of the 2020 Nagorno-Karabakh war, as an RDF graph: "
            "who did what, where and when, according to whom, and where the reports disagree."
            "</p>"
        )
        body.append('<dl class="meta">')
        if issued:
            body.append(
                f"<dt>Reports</dt><dd>{len(self.reports)}, published from {esc(issued[0])} "
                f"to {esc(issued[-1])}</dd>"
            )
        if event_days:
            body.append(
                f"<dt>Events dated</dt><dd>from {esc(event_days[0])} to {esc(event_days[-1])} "
                '(see the <a href="timeline.html">timeline</a>)</dd>'
            )
        for title, cls in (
            ("Places", "Place"),
            ("Actors", "Actor"),
            ("Events", "Event"),
            ("Agreements", "Agreement"),
        ):
            members = [n for n in self.nodes if g.is_a(n, _KG + cls)]
            shown = ", ".join(self.link(n, path) for n in sorted(members, key=g.label)[:12])
            more = f" and {len(members) - 12} more" if len(members) > 12 else ""
            body.append(f"<dt>{title} ({len(members)})</dt><dd>{shown}{more}</dd>")
        body.append("</dl></section>")
        body.append('<section aria-labelledby="reports"><h2 id="reports">Reports and outlets</h2>')
        body.append('<div class="table"><table><thead><tr><th scope="col">Report</th>')
        body.append('<th scope="col">Outlet</th><th scope="col">Published</th>')
        body.append('<th scope="col">Language</th></tr></thead><tbody>')
        for report in self.reports:
            outlets = [o for o in g.values(report, _KG + "contentBy") if isinstance(o, str)]
            issued = g.value(report, "http://purl.org/dc/terms/issued")
            language = g.value(report, "http://purl.org/dc/terms/language")
            body.append(
                f"<tr><td>{self.link(report, path)}</td>"
                f"<td>{', '.join(self.link(o, path) for o in outlets)}</td>"
                f"<td>{esc(issued.value) if isinstance(issued, Lit) else ''}</td>"
                f"<td>{esc(_language(language))}</td></tr>"
            )
        body.append("</tbody></table></div></section>")
        body.append('<section aria-labelledby="counts"><h2 id="counts">Counts</h2>')
        body.append('<dl class="meta">')
        for key, name in (("asserted", "Asserted triples"), ("inferred", "Inferred triples")):
            if key in triples:
                body.append(f"<dt>{name}</dt><dd>{triples[key]}</dd>")
        body.append("</dl>")
        per_class = summary.get("nodes_per_class", {})
        if per_class:
            body.append('<div class="table"><table><caption>Nodes by class</caption>')
            body.append('<thead><tr><th scope="col">Class</th><th scope="col">Nodes</th></tr>')
            body.append("</thead><tbody>")
            for cls, count in sorted(per_class.items()):
                body.append(f"<tr><td>{esc(cls)}</td><td>{esc(count)}</td></tr>")
            body.append("</tbody></table></div>")
        body.append("</section>")
        body.append('<section aria-labelledby="views"><h2 id="views">Views</h2><ul>')
        for target, name, what in (
            ("timeline.html", "Timeline", "every dated event"),
            ("map.html", "Map", "places, the corridor and the roads"),
            ("figures.html", "Figures", "figures reported over time"),
            ("ontology/index.html", "Ontology", "the classes and properties"),
            ("queries/index.html", "Queries", "the stored SPARQL queries and their results"),
        ):
            body.append(f'<li><a href="{target}">{name}</a>: {what}</li>')
        body.append("</ul></section>")
        body.append('<section aria-labelledby="nodes"><h2 id="nodes">Every node</h2>')
        by_kind: dict[str, list[str]] = defaultdict(list)
        for node in self.nodes:
            by_kind[node[len(ID_BASE) :].split("/", 1)[0]].append(node)
        for kind, members in sorted(by_kind.items()):
            body.append(f'<h3 id="kind-{esc(kind)}">{esc(kind)} ({len(members)})</h3>')
            body.append('<ul class="columns">')
            for node in sorted(members, key=lambda n: (g.label(n).casefold(), n)):
                body.append(f"<li>{self.link(node, path)}</li>")
            body.append("</ul>")
        body.append("</section>")
        return page(path, "The knowledge graph", "\n".join(body) + "\n")

    # -- a node

    def node_header(self, node: str, path: str) -> list[str]:
        g = self.g
        body = [f'<p class="muted"><code>{esc(node)}</code></p>']
        types = sorted(set(g.types(node)), key=lambda t: g.label(t))
        if types:
            marks = []
            for t in types:
                kind = "asserted" if (node, _RDF_TYPE, t) in g.asserted else "inferred"
                marks.append(f'{esc(g.label(t))} <span class="mark {kind}">{kind}</span>')
            body.append("<p>Types: " + ", ".join(marks) + "</p>")
        for prop, title in ((_DESCRIPTION, "Description"), (_NOTE, "Note")):
            for text in g.values(node, prop):
                if isinstance(text, Lit):
                    body.append(f"<p><strong>{title}:</strong> {self.term(text, path)}</p>")
        body.extend(self.names_section(node, path))
        return body

    def names_section(self, node: str, path: str) -> list[str]:
        g = self.g
        names = [n for n in g.values(node, _KG + "hasName") if isinstance(n, str)]
        labels = [lit for lit in g.values(node, _LABEL) if isinstance(lit, Lit)]
        if not names and len(labels) < 2:
            return []
        body = ['<section aria-labelledby="names"><h2 id="names">Names</h2><ul>']
        for lit in labels:
            body.append(f'<li>{self.term(lit, path)} <span class="muted">(label)</span></li>')
        rows = []
        for name in names:
            text = g.value(name, _KG + "nameString")
            shown = self.term(text, path) if isinstance(text, Lit) else self.link(name, path)
            usage = g.value(name, _KG + "nameUsage")
            note = f" — {self.term(usage, path)}" if isinstance(usage, Lit) else ""
            sources = self.sources_list(
                sorted(a for a in g.values(name, _ATTESTED_BY) if isinstance(a, str)), path
            )
            key = text.value.casefold() if isinstance(text, Lit) else name
            rows.append(
                (key, name, f"<li>{shown}{note} ({self.link(name, path, 'name')}){sources}</li>")
            )
        body.extend(row for _, _, row in sorted(rows))
        body.append("</ul></section>")
        return body

    def statements_section(self, node: str, path: str) -> list[str]:
        g = self.g
        body = ['<section aria-labelledby="statements"><h2 id="statements">Statements</h2>']
        rows = []
        for prop, value in g.out.get(node, ()):
            if prop in _PROVENANCE or prop in (_RDF_TYPE, _LABEL, _DESCRIPTION, _NOTE):
                continue
            if prop == _SAME_AS and value == node:
                continue
            triple = (node, prop, value)
            asserted = triple in g.asserted
            if not asserted and _is_provenance(value):
                continue  # the super-properties of kg:statedIn etc.: the sources, shown below
            kind = "asserted" if asserted else "inferred"
            sources = self.sources_list(g.attestations(triple), path)
            if prop == _KG + "hasSide" and isinstance(value, str):
                side = sorted(a for a in g.values(value, _ATTESTED_BY) if isinstance(a, str))
                sources = (
                    '<p class="sources">This side rests on:</p>' + self.sources_list(side, path)
                    if side
                    else sources
                )
            if not asserted:
                sources = (
                    '<p class="sources">derived by OWL 2 RL reasoning (see '
                    "<code>kgbuild explain</code>)</p>"
                )
            rows.append(
                (
                    g.label(prop).casefold(),
                    prop,
                    _sort_key(value),
                    f"<li><strong>{esc(g.label(prop))}</strong>: {self.term(value, path)} "
                    f'<span class="mark {kind}">{kind}</span>{sources}</li>',
                )
            )
        if not rows:
            body.append("<p>No statements besides its type and label.</p>")
        else:
            body.append("<ul>" + "".join(r[-1] for r in sorted(rows)) + "</ul>")
        defaults = sorted(a for a in g.values(node, _ATTESTED_BY) if isinstance(a, str))
        if defaults:
            body.append(
                "<p>Its statements rest, unless said otherwise above, on:</p>"
                + self.sources_list(defaults, path)
            )
        body.append("</section>")
        return body

    def incoming_section(self, node: str, path: str) -> list[str]:
        g = self.g
        rows = []
        for subject, prop in g.into.get(node, ()):
            if prop in _PROVENANCE or prop == _SAME_AS or not isinstance(subject, str):
                continue
            if subject.startswith(ID_BASE + "attestation/"):
                continue
            kind = "asserted" if (subject, prop, node) in g.asserted else "inferred"
            rows.append(
                (
                    g.label(prop).casefold(),
                    g.label(subject).casefold(),
                    subject,
                    f"<li>{self.term(subject, path)} — {esc(g.label(prop))} — this "
                    f'<span class="mark {kind}">{kind}</span></li>',
                )
            )
        if not rows:
            return []
        return [
            '<section aria-labelledby="incoming"><h2 id="incoming">What points here</h2><ul>',
            *(r[-1] for r in sorted(rows)),
            "</ul></section>",
        ]

    def node_page(self, node: str, path: str) -> str:
        body = self.node_header(node, path)
        if node in self.passages:
            report, number = self.passages[node]
            body.append(f"<p>Paragraph {number} of {self.passage_link(node, path)}.</p>")
        body += self.statements_section(node, path)
        body += self.incoming_section(node, path)
        return page(path, self.g.label(node), "\n".join(body) + "\n")

    # -- a report

    def report_page(self, report: str, path: str) -> str:
        g = self.g
        body = [f'<p class="muted"><code>{esc(report)}</code></p>', '<dl class="meta">']
        for prop, title in (
            ("http://purl.org/dc/terms/title", "Title"),
            (_KG + "contentBy", "Content by"),
            (_KG + "publishedBy", "Published by"),
            (_KG + "writtenBy", "Written by"),
            ("http://purl.org/dc/terms/issued", "Date"),
            ("http://purl.org/dc/terms/language", "Language"),
            (_KG + "url", "Address"),
            ("http://purl.org/dc/terms/identifier", "Identifier"),
        ):
            for value in g.values(report, prop):
                if prop.endswith("language") and isinstance(value, str):
                    shown = esc(_language(value))
                elif prop == _KG + "url" and isinstance(value, str):
                    shown = f'<a href="{esc(value)}">{esc(value)}</a>'
                else:
                    shown = self.term(value, path)
                body.append(f"<dt>{title}</dt><dd>{shown}</dd>")
        body.append("</dl>")
        backgrounds = [b for b in g.values(report, _BACKGROUND) if isinstance(b, str)]
        if backgrounds:
            body.append(
                "<p>The record of its stored copy: "
                + ", ".join(self.link(b, path) for b in backgrounds)
                + ".</p>"
            )
        passages = sorted(
            (number, passage) for passage, (r, number) in self.passages.items() if r == report
        )
        disagreements = self.report_disagreements(report)
        body.append('<section aria-labelledby="paragraphs"><h2 id="paragraphs">Paragraphs</h2>')
        body.append(
            "<p>The graph holds each paragraph's number, role and the SHA-256 of its text, not "
            "the text; under each, what the graph takes from it.</p>"
        )
        for number, passage in passages:
            role = g.value(passage, _KG + "paragraphRole")
            digest = g.value(passage, _KG + "textSha256")
            body.append(
                f'<section class="paragraph" id="p-{number}" aria-labelledby="p-{number}-h">'
                f'<h3 id="p-{number}-h">Paragraph {number}</h3>'
            )
            meta = [self.link(passage, path, "passage")]
            if isinstance(role, str):
                meta.append(esc(g.label(role)))
            if isinstance(digest, Lit):
                meta.append(f"SHA-256 <code>{esc(digest.value[:16])}…</code>")
            for repeated in g.values(passage, _KG + "repeats"):
                if isinstance(repeated, str):
                    meta.append("repeats " + self.passage_link(repeated, path))
            body.append('<p class="muted">' + " · ".join(meta) + "</p>")
            body.extend(self.paragraph_statements(passage, path))
            body.append("</section>")
        body.append("</section>")
        body.append(
            '<section aria-labelledby="disagreements"><h2 id="disagreements">'
            "Where other reports disagree</h2>"
        )
        if not disagreements:
            body.append("<p>No recorded disagreement involves this report.</p>")
        for disagreement in disagreements:
            body.extend(self.disagreement_block(disagreement, report, path))
        body.append("</section>")
        return page(path, g.label(report), "\n".join(body) + "\n")

    def paragraph_statements(self, passage: str, path: str) -> list[str]:
        g = self.g
        attestations = sorted(
            s
            for s, p in g.into.get(passage, ())
            if p == _STATED_IN and s.startswith(ID_BASE + "attestation/")
        )
        rows = []
        for attestation in attestations:
            voice = g.value(attestation, _KG + "accordingTo")
            said_by = f" (according to {self.link(voice, path)})" if isinstance(voice, str) else ""
            for triple in self.resting.get(attestation, ()):
                s, p, o = triple
                if p in (_LABEL, _DESCRIPTION, _NOTE):
                    continue
                agree = self.agreement(triple, attestation, path)
                rows.append(
                    (
                        _triple_key(triple),
                        attestation,
                        f"<li>{self.link(s, path)} — {esc(g.label(p))} — {self.term(o, path)}"
                        f"{said_by}{agree}</li>",
                    )
                )
        if not rows:
            return ['<p class="muted">The graph takes no statement from this paragraph.</p>']
        return ["<ul>", *(r[-1] for r in sorted(rows)), "</ul>"]

    def agreement(self, triple: Triple, attestation: str, path: str) -> str:
        """Where other, independent sources make the same statement, as the stored
        `corroboration` query finds them: its passages whose origin is not this attestation's."""
        if self._corroboration is None:
            self._corroboration = Corroboration.of(self.build, self.queries.get("corroboration"))
        s, p, o = triple
        key = (s, p, o.value if isinstance(o, Lit) else o)
        own = self._corroboration.origins.get((attestation, key))
        if own is None:
            return ""
        others = {
            self.passage_link(self.passage_at[(report, number)], path)
            for origin, report, number in self._corroboration.sources.get(key, ())
            if origin != own and (report, number) in self.passage_at
        }
        if not others:
            return ""
        return '<p class="sources">Also stated by: ' + "; ".join(sorted(others)) + "</p>"

    def report_disagreements(self, report: str) -> list[str]:
        """The kg:Disagreement nodes that have a side stated in ``report``."""
        g = self.g
        found = set()
        for disagreement in self.nodes:
            if not g.is_a(disagreement, _KG + "Disagreement"):
                continue
            for side in g.values(disagreement, _KG + "hasSide"):
                if report in self.side_reports(side):
                    found.add(disagreement)
        return sorted(found)

    def side_reports(self, side: Term) -> set[str]:
        reports = set()
        for attestation in self.g.values(side, _ATTESTED_BY):
            for passage in self.g.values(attestation, _STATED_IN):
                if passage in self.passages:
                    reports.add(self.passages[str(passage)][0])
        return reports

    def disagreement_block(self, disagreement: str, report: str, path: str) -> list[str]:
        g = self.g
        kinds = [k for k in g.values(disagreement, _KG + "disagreementKind") if isinstance(k, str)]
        kind = ", ".join(esc(g.label(k)) for k in kinds)
        body = [f"<h3>{self.link(disagreement, path)}</h3>"]
        if kind:
            body.append(f'<p class="muted">{kind}</p>')
        body.append("<ul>")
        sides = sorted(s for s in g.values(disagreement, _KG + "hasSide") if isinstance(s, str))
        for side in sides:
            mine = " <strong>(this report)</strong>" if report in self.side_reports(side) else ""
            attestations = sorted(a for a in g.values(side, _ATTESTED_BY) if isinstance(a, str))
            body.append(
                f"<li>{self.term(side, path)}{mine}{self.sources_list(attestations, path)}</li>"
            )
        body.append("</ul>")
        return body

    # -- queries

    def query_pages(self) -> dict[str, str]:
        from kgbuild.errors import KgbuildError
        from kgbuild.query import Dataset, run_query

        files: dict[str, str] = {}
        index = [
            "<p>The SPARQL queries stored with the project, each run on this build with its "
            "example parameters. Run one yourself with <code>kgbuild query NAME</code>.</p>",
            "<ul>",
        ]
        datasets = {flag: Dataset(self.build, flag) for flag in (True, False)}
        for name, query in sorted(self.queries.items()):
            path = f"queries/{name}.html"
            index.append(
                f'<li><a href="{quote(name)}.html">{esc(name)}</a>: {esc(query.summary)}</li>'
            )
            params = {p.name: p.example for p in query.params if p.example is not None}
            body = [f"<p>{esc(query.summary)}</p>"]
            if query.description:
                body.append(f"<p>{esc(query.description)}</p>")
            body.append('<section aria-labelledby="params"><h2 id="params">Parameters</h2>')
            if query.params:
                body.append(
                    '<div class="table"><table><thead><tr><th scope="col">Name</th>'
                    '<th scope="col">Type</th><th scope="col">Required</th>'
                    '<th scope="col">Example</th><th scope="col">What it is</th>'
                    "</tr></thead><tbody>"
                )
                for p in query.params:
                    body.append(
                        f"<tr><td><code>{esc(p.name)}</code></td><td>{esc(p.type)}</td>"
                        f"<td>{'yes' if p.required else 'no'}</td>"
                        f"<td>{esc(p.example or '')}</td><td>{esc(p.description)}</td></tr>"
                    )
                body.append("</tbody></table></div>")
            else:
                body.append("<p>None.</p>")
            body.append("</section>")
            body.append('<section aria-labelledby="sparql"><h2 id="sparql">SPARQL</h2>')
            body.append(f"<pre><code>{esc(query.text.strip())}</code></pre></section>")
            command = " ".join(
                [f"kgbuild query {name}", *(f"-p {k}={_shell(v)}" for k, v in params.items())]
            )
            body.append('<section aria-labelledby="results"><h2 id="results">Results</h2>')
            body.append(f"<p>With the example parameters: <code>{esc(command)}</code></p>")
            try:
                result = run_query(query, datasets[query.inferred], params, engine="oxigraph")
            except KgbuildError as exc:
                body.append(f"<p>The query failed: {esc(exc)}</p>")
            else:
                body.append(self.result_table(result, path))
            body.append("</section>")
            files[path] = page(path, f"Query: {name}", "\n".join(body) + "\n")
        index.append("</ul>")
        files["queries/index.html"] = page(
            "queries/index.html", "Stored queries", "\n".join(index) + "\n"
        )
        return files

    def result_table(self, result: Any, path: str) -> str:
        from rdflib import BNode, Literal, URIRef

        if result.boolean is not None:
            return f"<p>Answer: <strong>{'yes' if result.boolean else 'no'}</strong></p>"
        if not result.rows:
            return "<p>No rows.</p>"

        def cell(value: Any) -> str:
            if value is None:
                return ""
            if isinstance(value, URIRef):
                return self.term(str(value), path)
            if isinstance(value, Literal):
                dt = str(value.datatype) if value.datatype else ""
                return self.term(Lit(str(value), value.language or "", dt), path)
            if isinstance(value, BNode):
                return self.term(Blank(str(value)), path)
            return esc(value)

        rows = [[cell(row.get(v)) for v in result.variables] for row in result.rows]
        if not result.ordered:
            rows.sort()
        head = "".join(f'<th scope="col">{esc(v)}</th>' for v in result.variables)
        out = [
            f"<p>{len(rows)} row{'s' if len(rows) != 1 else ''}.</p>",
            f'<div class="table"><table><thead><tr>{head}</tr></thead><tbody>',
        ]
        out += ["<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows]
        out.append("</tbody></table></div>")
        return "\n".join(out)

    # -- the other parts: charts and the ontology documentation

    def chart_pages(self) -> dict[str, str]:
        files = {}
        for path, title, intro, make in (
            (
                "timeline.html",
                "Timeline",
                "Every dated event; each mark links to its page.",
                charts.timeline_svg,
            ),
            (
                "map.html",
                "Map",
                "The places at their approximate points, the corridor, the "
                "supply route and the roads.",
                charts.map_svg,
            ),
        ):
            svg = make(self.build, self._href_from(path))
            files[path] = page(path, title, f"<p>{esc(intro)}</p>\n{svg}\n")
        path = "figures.html"
        body = ["<p>Figures the reports give again and again, by the day they were given.</p>"]
        for series, title, svg in charts.series_charts(self.build, self._href_from(path)):
            body.append(f"<section><h2>{esc(title)}</h2>")
            body.append(f"<p>{self.link(series, path, 'The series and its figures')}</p>")
            body.append(svg + "</section>")
        files[path] = page(path, "Figures over time", "\n".join(body) + "\n")
        return files

    def _href_from(self, from_page: str) -> Callable[[str], str | None]:
        return lambda iri: page_href(iri, from_page)

    def ontology_docs(self, target: Path) -> None:
        ontology_dir = self.build.input_dir("ontology")
        if not ontology_dir.is_dir():  # a copy of dist/ away from its sources
            raise InputError(
                f"the ontology directory '{display_path(ontology_dir)}' that the build in "
                f"'{display_path(self.build.out)}' was made from is missing, and the site "
                "documents the ontology",
                hint="run kgbuild site beside the build's sources, or kgbuild build again",
            )
        write_ontology_docs(ontology_dir, target)


def _is_provenance(term: Term) -> bool:
    return isinstance(term, str) and term.startswith(
        tuple(ID_BASE + kind + "/" for kind in ("attestation", "passage", "background"))
    )


def _triple_key(triple: Triple) -> tuple[str, str, tuple[int, str, str, str]]:
    return (str(triple[0]), triple[1], _sort_key(triple[2]))


_LANGUAGES = {
    "en": "English",
    "ru": "Russian",
    "hy": "Armenian",
    "az": "Azerbaijani",
    "fr": "French",
    "de": "German",
    "tr": "Turkish",
    "fa": "Persian",
}


def _language(value: Term | None) -> str:
    if value is None:
        return ""
    code = str(value).rstrip("/").rsplit("/", 1)[-1]
    return f"{_LANGUAGES.get(code, code)} ({code})"


def _shell(value: str) -> str:
    if value and all(c.isalnum() or c in "-_:./<>" for c in value) and "<" not in value:
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def check_site_dir(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise InputError(
            f"'{display_path(path)}' is not a directory", hint="choose another --site directory"
        )
