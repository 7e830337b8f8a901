"""The ontology's documentation for the static site: pyLODE's page and a class diagram.

``write_ontology_docs`` writes ``index.html`` (pyLODE's OntPub profile, made self-contained
and deterministic) and ``classes.svg`` (the kg: class hierarchy and the object properties
between kg: classes, drawn in Python so that no graphviz is needed).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from html import escape
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kgbuild.errors import InputError, KgbuildError, first_line
from kgbuild.namespaces import KG, KG_ONTOLOGY
from kgbuild.ontology import load_ontology

__all__ = ["class_diagram_svg", "strip_remote_resources", "write_ontology_docs"]

DIAGRAM = "classes.svg"


def write_ontology_docs(ontology_dir: Path, target: Path) -> None:
    """Write ``target/index.html`` (pyLODE) and ``target/classes.svg`` for the ontology in
    ``ontology_dir/*.ttl`` (the SHACL shapes in ``shapes/`` are not part of it)."""
    graph = load_ontology(ontology_dir)
    html, fragment_ids = _pylode_html(graph)
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    (target / DIAGRAM).write_text(class_diagram_svg(graph, fragment_ids), encoding="utf-8")
    (target / "index.html").write_text(_finish_page(html), encoding="utf-8")


def _pylode_html(graph: Graph) -> tuple[str, dict[str, str]]:
    """pyLODE's OntPub page for ``graph`` and the fragment id it gave each term's section."""
    # pyLODE configures the root logger: importing it calls logging.basicConfig(level=DEBUG)
    # and its module-level logging.info() calls add a stderr handler. Put the root logger back
    # as it was, so that the CLI does not start printing pyLODE's (and other libraries') lines.
    root = logging.getLogger()
    handlers, level, disabled = root.handlers[:], root.level, logging.root.manager.disable
    logging.disable(logging.WARNING)  # what pyLODE logs is not for kgbuild's user
    try:
        try:
            from pylode import OntPub
        except Exception as exc:  # pyLODE 3.4.1 cannot even be imported from a wheel
            raise KgbuildError(
                f"cannot load pyLODE: {first_line(exc)}",
                hint="pip install 'pylode>=3.3.4,!=3.4.1'",
            ) from exc
        # OntPub adds its own triples to the graph it is given: give it a copy.
        copy = Graph()
        for prefix, namespace in graph.namespaces():
            copy.bind(prefix, namespace, override=True)
        # pyLODE documents one owl:Ontology: the core's header, not those of the modules. It
        # takes a skos:ConceptScheme for a header too, so the codebook schemes lose that type.
        core = URIRef(KG_ONTOLOGY)
        modules = {o for o in graph.subjects(RDF.type, OWL.Ontology) if o != core}
        copy += (
            t
            for t in graph
            if t[0] not in modules and not (t[1] == RDF.type and t[2] == SKOS.ConceptScheme)
        )
        doc = OntPub(copy, sort_subjects=True)
        html = doc.make_html(include_css=True)
    except KgbuildError:
        raise
    except Exception as exc:  # pyLODE raises plain exceptions for what it cannot document
        raise InputError(
            f"pyLODE cannot document the ontology: {first_line(exc)}",
            hint="check the ontology header (owl:Ontology with a dcterms:title)",
        ) from exc
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.disable(disabled)
    return html, {iri: fid for iri, fid in doc.fids.items() if fid}


# Resources a browser would fetch from elsewhere: stylesheets, scripts, fonts, images, frames.
_REMOTE = r"""\s*=\s*["']?\s*(?:https?:)?//"""
_REMOTE_TAGS = [
    re.compile(r"<link\b[^>]*\bhref" + _REMOTE + r"[^>]*>\s*", re.I),
    re.compile(r"<script\b[^>]*\bsrc" + _REMOTE + r"[^>]*>.*?</script>\s*", re.I | re.S),
    re.compile(r"<(?:img|iframe|source|embed)\b[^>]*\bsrc" + _REMOTE + r"[^>]*>\s*", re.I),
    re.compile(r"@import\s+(?:url\()?\s*[\"']?(?:https?:)?//[^;]*;\s*", re.I),
    re.compile(r"@font-face\s*\{[^}]*(?:https?:)?//[^}]*\}\s*", re.I),
]
_REMOTE_URL = re.compile(r"url\(\s*[\"']?(?:https?:)?//[^)]*\)", re.I)


def strip_remote_resources(html: str) -> str:
    """``html`` without anything a browser would load from another host (a CDN's stylesheet,
    script or font, a remote image); links (``<a href>``) to term IRIs stay."""
    for pattern in _REMOTE_TAGS:
        html = pattern.sub("", html)
    return _REMOTE_URL.sub("none", html)


# Shown on small screens and for keyboard users; pyLODE's own layout assumes a wide window.
_EXTRA_CSS = """
.skip { position: absolute; left: -10000px; }
.skip:focus { position: static; display: inline-block; padding: 4px 8px; background: #ffd; }
a:focus-visible { outline: 3px solid #c60; outline-offset: 2px; }
#site { margin-bottom: 1em; }
#site a { margin-right: 1em; }
#diagram img { max-width: 100%; height: auto; border: 1px solid #ccc; }
code { overflow-wrap: anywhere; }
@media (max-width: 800px) {
  #toc { position: static; width: auto; height: auto; }
  #content { width: auto; }
  #pylode { display: none; }
  .entity th { width: 30%; }
  table { table-layout: auto; }
  dd, td, th, a { overflow-wrap: anywhere; }
  body { margin: 0 8px; }
}
"""


def _finish_page(html: str) -> str:
    """pyLODE's page made to fit the site: no remote resources, no version stamp, a language,
    a viewport, landmarks, a skip link, a way back to the site and the class diagram."""
    html = strip_remote_resources(html)
    # The generator's version would change the page with every pyLODE release.
    html = re.sub(r'\s*<a\b[^>]*\bid="version"[^>]*>[^<]*</a>', "", html)
    html = html.replace("<html>", '<html lang="en">', 1)
    head = (
        '<meta charset="utf-8">\n'
        '    <meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"    <style>{_EXTRA_CSS}</style>\n  </head>"
    )
    html = html.replace("</head>", head, 1)
    html = html.replace('<div id="content">', '<div id="content" role="main" tabindex="-1">', 1)
    html = html.replace('<div id="toc">', '<div id="toc" role="navigation" aria-label="Contents">')
    nav = (
        '<a class="skip" href="#content">Skip to content</a>\n'
        '    <nav id="site" aria-label="Site">'
        '<a href="../index.html">kgbuild site</a>'
        f'<a href="{DIAGRAM}">Class diagram</a></nav>\n'
    )
    html = re.sub(r"(<body[^>]*>\s*)", lambda m: m.group(1) + nav, html, count=1)
    figure = (
        '<div id="diagram" class="section"><h2>Class diagram</h2>'
        f'<p><a href="{DIAGRAM}"><img src="{DIAGRAM}" alt="Diagram of the kg: classes as a '
        "tree of subclasses, with the object properties between them listed by domain class; "
        'the sections below give the same information as text."></a></p></div>\n'
    )
    # After the metadata section, before the classes.
    classes = '<div class="section" id="classes">'
    return html.replace(classes, figure + classes, 1)


def _local(iri: str) -> str:
    return iri[len(str(KG)) :]


def class_diagram_svg(graph: Graph, fragment_ids: dict[str, str] | None = None) -> str:
    """An SVG of the kg: classes as a tree (rdfs:subClassOf) and, beside it, the object
    properties from one kg: class to another (domain → range). Inverse properties declared
    with owl:inverseOf are shown once (the subject of the axiom), and properties whose range
    is a value list (a class of named individuals) are left out. Class names link to their
    sections of ``index.html`` when ``fragment_ids`` (IRI → fragment id) names them."""
    fragment_ids = fragment_ids or {}
    kg = str(KG)
    classes = sorted({str(c) for c in graph.subjects(RDF.type, OWL.Class) if str(c).startswith(kg)})
    parents: dict[str, list[str]] = {
        c: sorted(str(p) for p in graph.objects(URIRef(c), RDFS.subClassOf) if str(p) in classes)
        for c in classes
    }
    children: dict[str, list[str]] = defaultdict(list)
    for c in classes:
        if parents[c]:  # drawn under its first parent; the others are named beside it
            children[parents[c][0]].append(c)
    roots = [c for c in classes if not parents[c]]
    value_lists = {
        str(o)
        for s, o in graph.subject_objects(RDF.type)
        if (s, RDF.type, OWL.NamedIndividual) in graph and str(o).startswith(kg)
    } | {str(c) for c in graph.subjects(OWL.oneOf, None) if str(c).startswith(kg)}
    secondary = {str(o) for o in graph.objects(None, OWL.inverseOf)} - {
        str(s) for s in graph.subjects(OWL.inverseOf, None)
    }
    rows: list[tuple[str, str, str]] = []  # (domain, property, range)
    for prop in sorted({str(p) for p in graph.subjects(RDF.type, OWL.ObjectProperty)}):
        if not prop.startswith(kg) or prop in secondary:
            continue
        for dom in sorted(str(d) for d in graph.objects(URIRef(prop), RDFS.domain)):
            for rng in sorted(str(r) for r in graph.objects(URIRef(prop), RDFS.range)):
                if dom in classes and rng in classes and rng not in value_lists:
                    rows.append((dom, prop, rng))
    rows.sort(key=lambda r: (_local(r[0]), _local(r[1]), _local(r[2])))

    line, indent, top = 18, 18, 64
    items: list[tuple[int, str]] = []  # (depth, class) in drawing order

    def walk(c: str, depth: int) -> None:
        items.append((depth, c))
        for child in children[c]:
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    char = 7.2  # a generous width of one character at 12px sans-serif
    tree_width = max(
        20 + d * indent + char * (len(_local(c)) + sum(len(_local(p)) + 8 for p in parents[c][1:]))
        for d, c in items
    )
    col2 = int(tree_width) + 40
    dom_w = char * max((len(_local(d)) for d, _, _ in rows), default=0) + 16
    prop_w = char * max((len(_local(p)) for _, p, _ in rows), default=0) + 40
    rng_w = char * max((len(_local(r)) for _, _, r in rows), default=0)
    width = int(col2 + dom_w + prop_w + rng_w) + 20
    height = top + line * max(len(items), len(rows)) + 20

    def name(iri: str, x: float, y: float, cls: str = "c") -> str:
        text = f'<text class="{cls}" x="{x:.0f}" y="{y}">{escape(_local(iri))}</text>'
        fid = fragment_ids.get(iri)
        return f'<a href="index.html#{escape(fid)}">{text}</a>' if fid else text

    out: list[str] = []
    rowy = {c: top + i * line for i, (_, c) in enumerate(items)}
    for depth, c in items:
        y = rowy[c]
        x = 20 + depth * indent
        if children[c]:  # a vertical rule down to the last child, a tick to each child
            last = rowy[children[c][-1]]
            out.append(f'<path class="e" d="M{x + 5} {y + 4}V{last - 4}"/>')
            for child in children[c]:
                cy = rowy[child] - 4
                out.append(f'<path class="e" d="M{x + 5} {cy}H{x + indent - 3}"/>')
        out.append(name(c, x, y))
        extra_x = x + char * len(_local(c)) + 8
        for other in parents[c][1:]:
            out.append(f'<text class="n" x="{extra_x:.0f}" y="{y}">also ⊂</text>')
            out.append(name(other, extra_x + 4 * char + 8, y))
            extra_x += char * (len(_local(other)) + 8)
    for i, (dom, prop, rng) in enumerate(rows):
        y = top + i * line
        out.append(name(dom, col2, y))
        out.append(name(prop, col2 + dom_w, y, "p"))
        out.append(f'<text class="n" x="{col2 + dom_w + prop_w - 24:.0f}" y="{y}">→</text>')
        out.append(name(rng, col2 + dom_w + prop_w, y))

    desc = (
        f"Left: the {len(classes)} classes of the kg: namespace as a tree of rdfs:subClassOf, "
        f"{len(roots)} top-level classes with their subclasses indented below them; a class "
        "with a second kg: superclass names it beside it. Right: "
        f"{len(rows)} object properties from one kg: class to another, one a line as domain "
        "class, property, arrow, range class, sorted by domain. Inverse properties are shown "
        "once and properties whose range is a value list are left out."
    )
    style = (
        "text{font:12px sans-serif;fill:#222}"
        ".h{font-weight:bold;font-size:14px}.p{fill:#0a5a2a;font-style:italic}"
        ".n{fill:#777}.e{stroke:#999;fill:none}a text{fill:#005a9c}"
        "a:hover text,a:focus text{text-decoration:underline}"
    )
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        'aria-labelledby="classes-title classes-desc">\n'
        '<title id="classes-title">kg: classes and the object properties between them</title>\n'
        f'<desc id="classes-desc">{escape(desc)}</desc>\n'
        f"<style>{style}</style>\n"
        f'<rect width="{width}" height="{height}" fill="#fff"/>\n'
        f'<text class="h" x="20" y="30">Classes (rdfs:subClassOf)</text>\n'
        f'<text class="h" x="{col2}" y="30">Object properties (domain, property → range)</text>\n'
    )
    return head + "\n".join(out) + "\n</svg>\n"
