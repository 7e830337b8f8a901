"""The site's charts as standalone inline SVG: the timeline, the map and the figures over time.

Each function reads an opened build (``kgbuild.dist.open_build``) with SPARQL on its store and
returns ``<svg>`` markup that needs no stylesheet, script or network: a ``viewBox`` and
``width="100%"`` so it scales to a phone, ``role="img"`` with a ``<title>`` and a ``<desc>``
that say in words what it shows, links as ``<a href>`` (given by ``href(iri)``, the link to a
node's page from the page the SVG goes into, ``None`` for no link) and ``<title>`` tooltips.
Output is deterministic: rows are sorted, numbers have a fixed format and no id is random (the
only ids are fixed ones, prefixed by the chart's name).
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["map_svg", "series_charts", "timeline_svg"]

Href = Callable[[str], "str | None"]

KG = "https://w3id.org/kgbuild/ontology#"
PREFIXES = """PREFIX kg: <https://w3id.org/kgbuild/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
ASSERTED = "https://w3id.org/kgbuild/graph/asserted"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
WIDTH = 960
# Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), then darker
# tones; the shape and the written type go with every colour.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#555555", "#8C564B"]
SHAPES = ["circle", "square", "diamond", "triangle"]
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# -------------------------------------------------------------------------------- helpers


def _esc(text: object) -> str:
    """Text made safe for XML content and attribute values (quotes too), with the characters
    XML cannot hold at all dropped."""
    return html.escape(_XML_INVALID.sub("", str(text)), quote=True)


def _n(value: float) -> str:
    """A coordinate with one decimal, never "-0.0", so that output is the same everywhere."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _select(build: Any, query: str) -> list[dict[str, Any]]:
    """Rows of a SELECT on the build's store as {variable: Python value}: IRIs and strings as
    str, dates as datetime.date, numbers as int or float; unbound variables left out."""
    result = build.store().query(PREFIXES + query)
    names = [v.value for v in result.variables]
    rows = []
    for solution in result:
        row = {}
        for name in names:
            term = solution[name]
            if term is not None:
                row[name] = _value(term)
        rows.append(row)
    return rows


def _value(term: Any) -> Any:
    datatype = getattr(term, "datatype", None)
    if datatype is None:
        return term.value
    kind = datatype.value.rsplit("#", 1)[-1]
    text = term.value
    try:
        if kind == "date":
            return dt.date.fromisoformat(text[:10])
        if kind in {"integer", "int", "long", "nonNegativeInteger", "positiveInteger"}:
            return int(text)
        if kind in {"decimal", "double", "float"}:
            return float(text)
    except ValueError:
        return text
    return text


def _link(href: Href, iri: str | None, anchor: str = "") -> str | None:
    if not iri:
        return None
    target = href(iri)
    if target is None:
        return None
    return target + anchor


def _a(target: str | None, inner: str, cls: str, extra: str = "") -> str:
    """``inner`` inside a link when there is a target, else inside a plain group."""
    if target is None:
        return f'<g class="{cls}"{extra}>{inner}</g>'
    return f'<a href="{_esc(target)}" class="{cls}"{extra}>{inner}</a>'


def _svg(name: str, width: float, height: float, title: str, desc: str, body: Iterable[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kg-chart kg-{name}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" width="100%" role="img" '
        f'preserveAspectRatio="xMinYMin meet" font-family="{_esc(FONT)}" font-size="12" '
        f'fill="#222">'
        f"<title>{_esc(title)}</title><desc>{_esc(desc)}</desc>"
    )
    return head + "\n" + "\n".join(body) + "\n</svg>\n"


def _shape(shape: str, x: float, y: float, size: float, colour: str, extra: str = "") -> str:
    r = size / 2
    if shape == "square":
        return (
            f'<rect x="{_n(x - r)}" y="{_n(y - r)}" width="{_n(size)}" height="{_n(size)}" '
            f'fill="{colour}"{extra}/>'
        )
    if shape == "diamond":
        r *= 1.25
        points = f"{_n(x)},{_n(y - r)} {_n(x + r)},{_n(y)} {_n(x)},{_n(y + r)} {_n(x - r)},{_n(y)}"
        return f'<polygon points="{points}" fill="{colour}"{extra}/>'
    if shape == "triangle":
        r *= 1.2
        points = f"{_n(x)},{_n(y - r)} {_n(x + r)},{_n(y + r * 0.8)} {_n(x - r)},{_n(y + r * 0.8)}"
        return f'<polygon points="{points}" fill="{colour}"{extra}/>'
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{colour}"{extra}/>'


def _text_width(text: str, size: float) -> float:
    """A rough width of ``text`` in a proportional system font (no font metrics offline)."""
    return len(text) * size * 0.55


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%B} {value.year}"


def _first(values: Iterable[str]) -> str:
    return min(values) if values else ""


def _sources_label(report_label: str | None, outlet: str | None, paragraph: int | None) -> str:
    name = outlet or "report"
    return f"{name} ¶{paragraph}" if paragraph is not None else name


# -------------------------------------------------------------------------------- timeline


@dataclass
class _Time:
    iri: str
    label: str
    earliest: dt.date | None
    latest: dt.date | None
    precision: str = ""
    earliest_time: str = ""
    latest_time: str = ""

    @property
    def start(self) -> dt.date:
        return self.earliest or self.latest  # type: ignore[return-value]

    @property
    def end(self) -> dt.date:
        return self.latest or self.earliest  # type: ignore[return-value]


@dataclass
class _Event:
    iri: str
    label: str
    kind: str = "event"
    times: list[_Time] = field(default_factory=list)

    @property
    def start(self) -> dt.date:
        return min(t.start for t in self.times)

    @property
    def end(self) -> dt.date:
        return max(t.end for t in self.times)


@dataclass
class _Source:
    label: str  # visible, short
    title: str  # tooltip
    target: str | None


def _timeline_events(build: Any) -> list[_Event]:
    rows = _select(
        build,
        """
SELECT ?event ?eventLabel ?time ?timeLabel ?earliest ?latest ?earliestTime ?latestTime ?precision
WHERE {
  ?event kg:hasTime ?time ; rdfs:label ?eventLabel .
  ?time rdfs:label ?timeLabel .
  OPTIONAL { ?time kg:earliest ?earliest }
  OPTIONAL { ?time kg:latest ?latest }
  OPTIONAL { ?time kg:earliestTime ?earliestTime }
  OPTIONAL { ?time kg:latestTime ?latestTime }
  OPTIONAL { ?time kg:precision/rdfs:label ?precision }
  FILTER(BOUND(?earliest) || BOUND(?latest))
}""",
    )
    kinds = _select(
        build,
        """
SELECT ?event ?kind WHERE {
  ?event kg:hasTime ?time ; a ?class .
  ?class rdfs:label ?kind .
  FILTER(STRSTARTS(STR(?class), "https://w3id.org/kgbuild/ontology#") && ?class != kg:Authority)
  FILTER NOT EXISTS { ?event a ?sub . ?sub rdfs:subClassOf ?class . FILTER(?sub != ?class) }
}""",
    )
    kind_of: dict[str, set[str]] = defaultdict(set)
    for row in kinds:
        kind_of[row["event"]].add(row["kind"])
    labels: dict[str, set[str]] = defaultdict(set)
    times: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        labels[row["event"]].add(row["eventLabel"])
        time = times[row["event"]].setdefault(row["time"], {"labels": set(), "lo": [], "hi": []})
        time["labels"].add(row["timeLabel"])
        # In the closure a day's kg:date is both bounds; keep the tightest of each.
        if isinstance(row.get("earliest"), dt.date):
            time["lo"].append(row["earliest"])
        if isinstance(row.get("latest"), dt.date):
            time["hi"].append(row["latest"])
        time["precision"] = min(time.get("precision", "\uffff"), row.get("precision", ""))
        time["et"] = row.get("earliestTime", time.get("et", ""))
        time["lt"] = row.get("latestTime", time.get("lt", ""))
    events = []
    for iri in sorted(times):
        event = _Event(iri, _first(labels[iri]), _first(kind_of.get(iri, set())) or "event")
        for time_iri, time in sorted(times[iri].items()):
            if not time["lo"] and not time["hi"]:
                continue
            event.times.append(
                _Time(
                    time_iri,
                    _first(time["labels"]),
                    max(time["lo"]) if time["lo"] else None,
                    min(time["hi"]) if time["hi"] else None,
                    time["precision"],
                    str(time["et"]),
                    str(time["lt"]),
                )
            )
        if event.times:
            event.times.sort(key=lambda t: (t.start, t.end, t.iri))
            events.append(event)
    events.sort(key=lambda e: (e.start, e.end, e.label, e.iri))
    return events


def _report_sources(rows: list[dict[str, Any]], href: Href) -> list[_Source]:
    """The distinct sources of rows with ``report``/``paragraph``/``outlet``/``reportLabel`` or
    ``background``/``backgroundLabel``, in a stable order."""
    found: dict[tuple[Any, ...], _Source] = {}
    for row in rows:
        if row.get("report"):
            paragraph = row.get("paragraph")
            key = (0, row["report"], paragraph if isinstance(paragraph, int) else 0)
            anchor = f"#p-{paragraph}" if isinstance(paragraph, int) else ""
            title = row.get("reportLabel") or row["report"]
            if isinstance(paragraph, int):
                title = f"{title}, paragraph {paragraph}"
            found[key] = _Source(
                _sources_label(row.get("reportLabel"), row.get("outlet"), paragraph),
                title,
                _link(href, row["report"], anchor),
            )
        elif row.get("background"):
            key = (1, row["background"], 0)
            label = row.get("backgroundLabel") or row["background"]
            found[key] = _Source(
                "background", f"Background source: {label}", _link(href, row["background"])
            )
    return [found[key] for key in sorted(found)]


def _date_disputes(build: Any, href: Href) -> dict[str, dict[str, Any]]:
    """Date disagreements over an event's kg:hasTime: event -> {"label", "iri",
    "times": {time IRI: [sources]}}."""
    rows = _select(
        build,
        """
SELECT ?d ?dLabel ?event ?time ?report ?reportLabel ?outlet ?paragraph ?background ?backgroundLabel
WHERE {
  ?d a kg:Disagreement ; kg:disagreementKind kg:DateDisagreement ; kg:hasSide ?side .
  OPTIONAL { ?d rdfs:label ?dLabel }
  ?side rdf:subject ?event ; rdf:predicate kg:hasTime ; rdf:object ?time ; kg:attestedBy ?att .
  OPTIONAL {
    ?att kg:statedIn ?passage .
    ?passage kg:inDocument ?report ; kg:paragraphNumber ?paragraph .
    OPTIONAL { ?report rdfs:label ?reportLabel }
    OPTIONAL { ?report kg:contentBy/rdfs:label ?outlet }
  }
  OPTIONAL {
    ?att kg:backgroundSource ?background .
    OPTIONAL { ?background rdfs:label ?backgroundLabel }
  }
}""",
    )
    grouped: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    labels: dict[str, str] = {}
    for row in rows:
        grouped[(row["event"], row["d"])][row["time"]].append(row)
        labels[row["d"]] = min(labels.get(row["d"], "\uffff"), row.get("dLabel", row["d"]))
    disputes: dict[str, dict[str, Any]] = {}
    for (event, disagreement), by_time in sorted(grouped.items()):
        if event in disputes or len(by_time) < 2:
            continue
        disputes[event] = {
            "iri": disagreement,
            "label": labels[disagreement],
            "times": {t: _report_sources(r, href) for t, r in sorted(by_time.items())},
        }
    return disputes


def _kind_styles(kinds: Iterable[str]) -> dict[str, tuple[str, str]]:
    styles = {}
    for i, kind in enumerate(sorted(set(kinds))):
        styles[kind] = (PALETTE[i % len(PALETTE)], SHAPES[(i // len(PALETTE)) % len(SHAPES)])
    return styles


def _split_day(events: list[_Event]) -> dt.date | None:
    """The first day of the main window when the dates fall in two clusters far apart (the war
    of the early 1990s and the events of 2020): the day after the widest gap between dates,
    when that gap is over a year. None: one window."""
    days = sorted({d for e in events for t in e.times for d in (t.earliest, t.latest) if d})
    best, split = 0, None
    for before, after in zip(days, days[1:], strict=False):
        gap = (after - before).days
        if gap > best:
            best, split = gap, after
    return split if best > 366 else None


def timeline_svg(build: Any, href: Href) -> str:
    """Every dated event on a date axis: a marker for a day, a bar for a vague time (an arrow
    for an open bound), coloured and shaped by event type, each linked to the event's page.
    Where reports disagree on an event's date, its dates are joined and each links to its
    sources. Events long before the others (more than a year's gap) go to a panel of their own
    with a year axis."""
    events = _timeline_events(build)
    disputes = _date_disputes(build, href)
    styles = _kind_styles(e.kind for e in events)
    split = _split_day(events)
    early = [e for e in events if split is not None and e.end < split]
    main = [e for e in events if split is None or e.end >= split]

    margin, row_h, size = 12.0, 24.0, 10.0
    body: list[str] = [
        '<defs><marker id="timeline-open" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>'
    ]
    y = 8.0
    panels = []
    if early:
        panels.append(("years", early))
    if main:
        panels.append(("days", main))
    for scale, panel_events in panels:
        y = _timeline_panel(
            body, scale, panel_events, y, margin, row_h, size, styles, disputes, href, split
        )
    y = _timeline_legend(body, styles, y + 8, margin)
    dated = len(events)
    spans = sum(1 for e in events for t in e.times if t.earliest != t.latest)
    first = min((e.start for e in events), default=None)
    last = max((e.end for e in events), default=None)
    period = f" from {_day(first)} to {_day(last)}" if first and last else ""
    desc = (
        f"{dated} dated events{period}, one row each, with {spans} vague dates drawn as bars "
        f"from their earliest to their latest day and exact days as markers; the colour and "
        f"shape stand for the event type, also written after each event. "
        + "".join(
            f"Reports disagree on the date of {_event_label(events, ev)}: "
            + " or ".join(_time_label(events, ev, t) for t in d["times"])
            + ". "
            for ev, d in sorted(disputes.items())
        )
    ).strip()
    return _svg("timeline", WIDTH, y + margin, "Timeline of the dated events", desc, body)


def _event_label(events: list[_Event], iri: str) -> str:
    return next((e.label for e in events if e.iri == iri), iri)


def _time_label(events: list[_Event], event: str, time: str) -> str:
    for e in events:
        for t in e.times:
            if e.iri == event and t.iri == time:
                return t.label
    return time


def _timeline_panel(
    body: list[str],
    scale: str,
    events: list[_Event],
    y: float,
    margin: float,
    row_h: float,
    size: float,
    styles: dict[str, tuple[str, str]],
    disputes: dict[str, dict[str, Any]],
    href: Href,
    split: dt.date | None,
) -> float:
    left, right = margin, WIDTH - margin
    if scale == "years":
        start = dt.date(min(e.start for e in events).year, 1, 1)
        stop = dt.date(max(e.end for e in events).year + 1, 1, 1)
        body.append(
            f'<text x="{_n(left)}" y="{_n(y + 12)}" font-weight="bold">'
            f"Earlier events (scale: years)</text>"
        )
    else:
        start = min(e.start for e in events)
        if split is not None:
            start = max(start, split)
        start -= dt.timedelta(days=1)
        stop = max(e.end for e in events) + dt.timedelta(days=2)
        body.append(
            f'<text x="{_n(left)}" y="{_n(y + 12)}" font-weight="bold">'
            f"{_esc(_day(start + dt.timedelta(days=1)))} to "
            f"{_esc(_day(stop - dt.timedelta(days=2)))} (scale: days)</text>"
        )
    y += 20
    total = (stop - start).days
    per_day = (right - left) / total

    def x_of(day: dt.date) -> float:
        return left + (day - start).days * per_day

    # Axis: day ticks and month labels, or year ticks.
    axis_y = y + 22
    height = len(events) * row_h + 8
    body.append(
        f'<g class="axis" stroke="#999" stroke-width="1">'
        f'<line x1="{_n(left)}" y1="{_n(axis_y)}" x2="{_n(right)}" y2="{_n(axis_y)}"/>'
    )
    labels = []
    if scale == "years":
        for year in range(start.year, stop.year + 1):
            x = x_of(dt.date(year, 1, 1))
            body.append(
                f'<line x1="{_n(x)}" y1="{_n(axis_y - 6)}" x2="{_n(x)}" '
                f'y2="{_n(axis_y + height)}" stroke="#ddd"/>'
            )
            if year < stop.year:
                labels.append(f'<text x="{_n(x + 2)}" y="{_n(axis_y - 8)}">{year}</text>')
    else:
        day = start
        month_starts: list[float] = []
        while day <= stop:
            x = x_of(day)
            if day.day == 1:
                body.append(
                    f'<line x1="{_n(x)}" y1="{_n(axis_y - 20)}" x2="{_n(x)}" '
                    f'y2="{_n(axis_y + height)}" stroke="#bbb"/>'
                )
                month = f"{day:%B} {day.year}"
                # Near the right edge the label ends at the tick instead of starting there.
                if x + 3 + _text_width(month, 12) > right:
                    where = f'x="{_n(x - 3)}" text-anchor="end"'
                else:
                    where = f'x="{_n(x + 3)}"'
                labels.append(
                    f'<text {where} y="{_n(axis_y - 10)}" font-weight="bold">{_esc(month)}</text>'
                )
                month_starts.append(x)
            else:
                body.append(
                    f'<line x1="{_n(x)}" y1="{_n(axis_y)}" x2="{_n(x)}" y2="{_n(axis_y + 4)}"/>'
                )
            if day.day in (1, 5, 10, 15, 20, 25) and day < stop:
                labels.append(
                    f'<text x="{_n(x + per_day / 2)}" y="{_n(axis_y + 14)}" '
                    f'font-size="9" text-anchor="middle">{day.day}</text>'
                )
            day += dt.timedelta(days=1)
        # The month of the first tick when the window does not start on the 1st.
        first_month = f"{start:%B} {start.year}"
        if start.day != 1 and all(
            x - left > _text_width(first_month, 12) + 8 for x in month_starts
        ):
            labels.append(
                f'<text x="{_n(left)}" y="{_n(axis_y - 10)}" font-weight="bold">'
                f"{_esc(f'{start:%B} {start.year}')}</text>"
            )
    body.append("</g>")
    body.extend(labels)
    y = axis_y + 20

    for event in events:
        y = _timeline_row(
            body,
            event,
            y,
            row_h,
            size,
            styles,
            disputes.get(event.iri),
            href,
            x_of,
            start,
            stop,
            left,
            right,
            scale,
        )
    return y + 10


def _timeline_row(
    body: list[str],
    event: _Event,
    y: float,
    row_h: float,
    size: float,
    styles: dict[str, tuple[str, str]],
    dispute: dict[str, Any] | None,
    href: Href,
    x_of: Callable[[dt.date], float],
    start: dt.date,
    stop: dt.date,
    left: float,
    right: float,
    scale: str,
) -> float:
    colour, shape = styles[event.kind]
    cy = y + row_h / 2
    target = _link(href, event.iri)
    parts = [f'<g class="tl-event" data-event="{_esc(event.iri)}">']
    xs: dict[str, float] = {}
    lo_x, hi_x = right, left
    one_day = x_of(start + dt.timedelta(days=1)) - x_of(start)
    for time in event.times:
        a = x_of(max(time.earliest, start)) if time.earliest else None
        b = x_of(min(time.latest, stop) + dt.timedelta(days=1)) if time.latest else None
        span = time.earliest != time.latest
        tip = f"{event.label}: {time.label} ({event.kind}"
        tip += f"; precision: {time.precision})" if time.precision else ")"
        if time.earliest_time or time.latest_time:
            tip += f"; {time.earliest_time or '…'} to {time.latest_time or '…'}"
        inner = [f"<title>{_esc(tip)}</title>"]
        open_len = max(30.0, 3 * one_day)
        if a is not None and b is not None and span:
            width = max(b - a, 3.0)
            inner.append(
                f'<rect x="{_n(a)}" y="{_n(cy - 4)}" width="{_n(width)}" height="8" '
                f'rx="2" fill="{colour}" fill-opacity="0.45" stroke="{colour}"/>'
            )
            inner.append(_shape(shape, a, cy, size, colour))
            mark_x, lo, hi = a, a, a + width
        elif a is not None and b is not None:
            mark_x = (a + b) / 2
            inner.append(_shape(shape, mark_x, cy, size + 2, colour, ' stroke="#fff"'))
            lo, hi = mark_x - size, mark_x + size
        elif b is not None:  # only a latest day: "by ..."
            inner.append(
                f'<line x1="{_n(b)}" y1="{_n(cy)}" x2="{_n(b - open_len)}" '
                f'y2="{_n(cy)}" stroke="{colour}" stroke-width="3" '
                f'stroke-dasharray="4 3" marker-end="url(#timeline-open)"/>'
            )
            inner.append(_shape(shape, b, cy, size, colour))
            mark_x, lo, hi = b, b - open_len, b
        else:  # only an earliest day: "from ..."
            assert a is not None
            inner.append(
                f'<line x1="{_n(a)}" y1="{_n(cy)}" x2="{_n(a + open_len)}" '
                f'y2="{_n(cy)}" stroke="{colour}" stroke-width="3" '
                f'stroke-dasharray="4 3" marker-end="url(#timeline-open)"/>'
            )
            inner.append(_shape(shape, a, cy, size, colour))
            mark_x, lo, hi = a, a, a + open_len
        xs[time.iri] = mark_x
        lo_x, hi_x = min(lo_x, lo), max(hi_x, hi)
        attrs = (
            f' data-time="{_esc(time.iri)}" data-earliest="{time.earliest or ""}" '
            f'data-latest="{time.latest or ""}" data-span="{"yes" if span else "no"}"'
        )
        parts.append(_a(target, "".join(inner), "tl-mark", attrs))
    extra_rows = 0
    if dispute:
        disputed = [t for t in dispute["times"] if t in xs]
        if len(disputed) >= 2:
            x1, x2 = min(xs[t] for t in disputed), max(xs[t] for t in disputed)
            parts.append(
                f'<g class="tl-dispute"><title>{_esc(dispute["label"])}</title>'
                f'<path d="M{_n(x1)},{_n(cy - 7)} C{_n(x1)},{_n(cy - 14)} {_n(x2)},{_n(cy - 14)} '
                f'{_n(x2)},{_n(cy - 7)}" fill="none" stroke="#B00020" stroke-width="1.5"/></g>'
            )
        # A line under the row per disputed date: the date, then a link to each source.
        for time_iri, sources in dispute["times"].items():
            if time_iri not in xs:
                continue
            extra_rows += 1
            ty = y + row_h + extra_rows * 15 - 4
            time = next(t for t in event.times if t.iri == time_iri)
            lead = f"{time.label} according to: "
            total = _text_width(lead, 10) + sum(_text_width(s.label, 10) + 8 for s in sources)
            tx = max(left, min(xs[time_iri], right - total))
            line = [
                f'<g class="tl-dispute-sources" data-time="{_esc(time_iri)}">',
                f'<text x="{_n(tx)}" y="{_n(ty)}" font-size="10" fill="#B00020">'
                f"{_esc(time.label)} according to:</text>",
            ]
            sx = tx + _text_width(lead, 10) + 4
            for source in sources:
                text = (
                    f'<title>{_esc(source.title)}</title><text x="{_n(sx)}" y="{_n(ty)}" '
                    f'font-size="10" text-decoration="underline">{_esc(source.label)}</text>'
                )
                line.append(_a(source.target, text, "tl-source"))
                sx += _text_width(source.label, 10) + 8
            line.append("</g>")
            parts.extend(line)
    label = f"{event.label} ({event.kind})"
    width = _text_width(label, 11)
    if hi_x + 6 + width <= right:
        lx, anchor = hi_x + 6, "start"
    elif lo_x - 6 - width >= left:
        lx, anchor = lo_x - 6, "end"
    else:
        lx, anchor = left, "start"
        cy_text = cy + 13
        parts.append(
            _a(
                target,
                f'<text x="{_n(lx)}" y="{_n(cy_text)}" font-size="11">{_esc(label)}</text>',
                "tl-label",
            )
        )
        parts.append("</g>")
        body.append("".join(parts))
        return y + row_h + 12 + extra_rows * 15
    parts.append(
        _a(
            target,
            f'<text x="{_n(lx)}" y="{_n(cy + 4)}" font-size="11" '
            f'text-anchor="{anchor}">{_esc(label)}</text>',
            "tl-label",
        )
    )
    parts.append("</g>")
    body.append("".join(parts))
    return y + row_h + extra_rows * 15


def _timeline_legend(
    body: list[str], styles: dict[str, tuple[str, str]], y: float, margin: float
) -> float:
    body.append(
        f'<g class="legend"><text x="{_n(margin)}" y="{_n(y + 10)}" '
        f'font-weight="bold">Event types</text>'
    )
    y += 18
    col_w, x = 235.0, margin
    for kind, (colour, shape) in sorted(styles.items()):
        if x + col_w > WIDTH:
            x, y = margin, y + 18
        body.append(_shape(shape, x + 6, y + 6, 10, colour))
        body.append(f'<text x="{_n(x + 16)}" y="{_n(y + 10)}" font-size="11">{_esc(kind)}</text>')
        x += col_w
    y += 24
    body.append(
        f'<rect x="{_n(margin)}" y="{_n(y)}" width="30" height="8" rx="2" fill="#888" '
        f'fill-opacity="0.45" stroke="#888"/><text x="{_n(margin + 36)}" y="{_n(y + 8)}" '
        f'font-size="11">a bar: a vague time, from its earliest to its latest day</text>'
    )
    y += 16
    body.append(
        f'<line x1="{_n(margin + 30)}" y1="{_n(y + 4)}" x2="{_n(margin)}" y2="{_n(y + 4)}" '
        f'stroke="#888" stroke-width="3" stroke-dasharray="4 3" '
        f'marker-end="url(#timeline-open)"/><text x="{_n(margin + 36)}" y="{_n(y + 8)}" '
        f'font-size="11">an arrow: one bound only ("by" a day, or "from" a day)</text>'
    )
    y += 16
    body.append(
        f'<path d="M{_n(margin)},{_n(y + 8)} C{_n(margin)},{_n(y)} {_n(margin + 30)},{_n(y)} '
        f'{_n(margin + 30)},{_n(y + 8)}" fill="none" stroke="#B00020" stroke-width="1.5"/>'
        f'<text x="{_n(margin + 36)}" y="{_n(y + 8)}" font-size="11">reports disagree on the '
        f"date: each date with its sources below the row</text></g>"
    )
    return y + 16


# -------------------------------------------------------------------------------- map

_POINT = re.compile(r"^\s*(?:<[^>]*>\s*)?POINT\s*\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)\s*$", re.I)
# Road status -> (colour, dash pattern, legend text); the dash pattern and the legend's words
# carry the status too.
STATUS_STYLES = {
    KG + "StatusOpen": ("#009E73", "", "open"),
    KG + "StatusClosed": ("#D55E00", "8 4", "closed"),
    KG + "StatusPlanned": ("#56B4E9", "2 4", "planned"),
    KG + "StatusUnderConstruction": ("#E69F00", "10 3 2 3", "under construction"),
    KG + "StatusDisused": ("#777777", "14 6", "no longer used"),
    "": ("#AAAAAA", "1 3", "status not given"),
}
ROUTE_COLOUR = "#5B2C83"
# Points farther than this (degrees) from the median point go to the overview map only, so that
# far countries (France, Russia's representative point) do not shrink the region to a dot.
REGION_DEGREES = 2.0


@dataclass
class _Place:
    iri: str
    label: str
    lon: float
    lat: float
    names: list[str] = field(default_factory=list)
    district: bool = False
    corridor: bool = False
    geometry_label: str = ""
    placed: bool = True  # False: no point of its own, drawn between its neighbours on a route


def _status_key(iri: str | None) -> str:
    return iri if iri in STATUS_STYLES else ""


def _map_places(build: Any) -> dict[str, _Place]:
    rows = _select(
        build,
        """
SELECT ?place ?label ?wkt ?geometryLabel WHERE {
  ?place geo:hasGeometry ?geometry ; rdfs:label ?label .
  ?geometry geo:asWKT ?wkt .
  OPTIONAL { ?geometry rdfs:label ?geometryLabel }
}""",
    )
    places: dict[str, _Place] = {}
    for row in sorted(rows, key=lambda r: (r["place"], r["label"], r["wkt"])):
        match = _POINT.match(str(row["wkt"]))
        if not match or row["place"] in places:
            continue
        lon, lat = float(match.group(1)), float(match.group(2))
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            continue
        places[row["place"]] = _Place(
            row["place"], row["label"], lon, lat, geometry_label=row.get("geometryLabel", "")
        )
    names: dict[str, set[str]] = defaultdict(set)
    for row in _select(
        build,
        """
SELECT ?place ?name ?lang WHERE {
  ?place kg:hasName/kg:nameString ?name . BIND(LANG(?name) AS ?lang)
}""",
    ):
        if row["place"] in places:
            names[row["place"]].add(
                f"{row['name']} ({row['lang']})" if row.get("lang") else row["name"]
            )
    for iri, found in names.items():
        places[iri].names = sorted(found)
    for row in _select(
        build,
        """
SELECT ?place ?class WHERE { VALUES ?class { kg:District kg:Corridor } ?place a ?class }""",
    ):
        if row["place"] in places:
            if row["class"] == KG + "District":
                places[row["place"]].district = True
            else:
                places[row["place"]].corridor = True
    return places


def _map_routes(build: Any) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Routes (not legs) with label, status, endpoints and places passed; legs by route."""
    routes: dict[str, dict[str, Any]] = {}
    for row in _select(
        build,
        """
SELECT ?route ?label ?status ?statusLabel ?from ?to ?through ?asOf WHERE {
  ?route a kg:Route ; rdfs:label ?label .
  FILTER NOT EXISTS { ?route a kg:RouteLeg }
  OPTIONAL { ?route kg:roadStatus ?status . OPTIONAL { ?status rdfs:label ?statusLabel } }
  OPTIONAL { ?route kg:statusAsOf/kg:date ?asOf }
  OPTIONAL { ?route kg:fromPlace ?from }
  OPTIONAL { ?route kg:toPlace ?to }
  OPTIONAL { ?route kg:passesThrough ?through }
}""",
    ):
        route = routes.setdefault(
            row["route"],
            {
                "iri": row["route"],
                "labels": set(),
                "status": set(),
                "from": set(),
                "to": set(),
                "through": set(),
                "asOf": set(),
                "statusLabel": set(),
            },
        )
        route["labels"].add(row["label"])
        for key in ("status", "from", "to", "through", "asOf", "statusLabel"):
            if row.get(key) is not None:
                route[key].add(row[key])
    legs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    seen = set()
    for row in _select(
        build,
        """
SELECT ?route ?leg ?order ?label ?from ?to ?mode ?passage WHERE {
  ?leg kg:legOf ?route ; kg:legOrder ?order .
  OPTIONAL { ?leg rdfs:label ?label }
  OPTIONAL { ?leg kg:fromPlace ?from }
  OPTIONAL { ?leg kg:toPlace ?to }
  OPTIONAL { ?leg kg:transportMode/rdfs:label ?mode }
}
ORDER BY ?route ?order ?leg""",
    ):
        if row["leg"] in seen:
            continue
        seen.add(row["leg"])
        legs[row["route"]].append(row)
    for rows in legs.values():
        rows.sort(key=lambda r: (int(r["order"]), r["leg"]))
    out = []
    for iri in sorted(routes):
        route = routes[iri]
        out.append(
            {
                "iri": iri,
                "label": _first(route["labels"]),
                "status": _first(route["status"]) or None,
                "statusLabel": _first(route["statusLabel"]),
                "asOf": min(route["asOf"]) if route["asOf"] else None,
                "from": _first(route["from"]) or None,
                "to": _first(route["to"]) or None,
                "through": sorted(route["through"]),
            }
        )
    return out, legs


def _fallback_points(build: Any, places: dict[str, _Place], wanted: set[str]) -> None:
    """A place a route needs but with no point of its own takes the point of the nearest
    place it is part of (a station its town's), found through the asserted kg:partOf chain."""
    parents: dict[str, list[str]] = defaultdict(list)
    labels: dict[str, str] = {}
    for row in _select(
        build,
        f"""
SELECT ?child ?parent ?label WHERE {{
  GRAPH <{ASSERTED}> {{ ?child kg:partOf ?parent }}
  OPTIONAL {{ ?child rdfs:label ?label }}
}} ORDER BY ?child ?parent""",
    ):
        parents[row["child"]].append(row["parent"])
        if row.get("label"):
            labels[row["child"]] = row["label"]
    for iri in sorted(wanted - set(places)):
        level, seen = [iri], {iri}
        while level:
            found = sorted(p for p in level if p in places)
            if found:
                source = places[found[0]]
                places[iri] = _Place(
                    iri,
                    labels.get(iri, iri.rsplit("/", 1)[-1]),
                    source.lon,
                    source.lat,
                    geometry_label=f"no point of its own: drawn at that of {source.label}",
                )
                break
            level = sorted({p for c in level for p in parents.get(c, []) if p not in seen})
            seen.update(level)


@dataclass
class _Frame:
    lon0: float
    lat1: float
    scale: float
    kx: float
    x0: float
    y0: float

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            self.x0 + (lon - self.lon0) * self.kx * self.scale,
            self.y0 + (self.lat1 - lat) * self.scale,
        )


def _fit(
    points: list[tuple[float, float]],
    x0: float,
    y0: float,
    width: float,
    height: float,
    margin: float,
) -> tuple[_Frame, float]:
    """An equirectangular projection (x stretched by the cosine of the middle latitude) fitted
    to the points with a margin; returns the frame and the height it uses."""
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    lon0, lon1 = min(lons), max(lons)
    lat0, lat1 = min(lats), max(lats)
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    span_x = max((lon1 - lon0) * kx, 0.05)
    span_y = max(lat1 - lat0, 0.05)
    scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
    used = span_y * scale + 2 * margin
    frame = _Frame(
        lon0,
        lat1,
        scale,
        kx,
        x0 + margin + ((width - 2 * margin) - span_x * scale) / 2,
        y0 + margin,
    )
    return frame, used


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def map_svg(build: Any, href: Href) -> str:
    """The places with their points (every name in the tooltip), districts as labelled rings,
    corridors as bands, roads coloured and dashed by status, the legs of each route numbered
    with arrows in order, and a note that the points are approximate with a link to the
    background source they come from. Places far from the others are drawn on an overview
    below the main map."""
    places = _map_places(build)
    routes, legs = _map_routes(build)
    wanted = {p for r in routes for p in [r["from"], r["to"], *r["through"]] if p}
    wanted |= {
        row[k] for rows in legs.values() for row in rows for k in ("from", "to") if row.get(k)
    }
    own_points = set(places)
    _fallback_points(build, places, wanted)
    gazetteers = _select(
        build,
        """
SELECT DISTINCT ?source ?label WHERE {
  ?place geo:hasGeometry ?geometry .
  ?geometry kg:backgroundSource ?source .
  OPTIONAL { ?source rdfs:label ?label }
} ORDER BY ?source""",
    )

    margin = 12.0
    body: list[str] = [
        '<defs><marker id="map-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5B2C83"/></marker></defs>'
    ]
    if not places:
        body.append(f'<text x="{_n(margin)}" y="30">No place in the graph has a point.</text>')
        return _svg(
            "map", WIDTH, 60, "Map of the places", "No place in the graph has a point.", body
        )
    mid_lon = _median([p.lon for p in places.values()])
    mid_lat = _median([p.lat for p in places.values()])
    near = {
        iri
        for iri, p in places.items()
        if abs(p.lon - mid_lon) <= REGION_DEGREES and abs(p.lat - mid_lat) <= REGION_DEGREES
    }
    far = sorted(set(places) - near)
    frame, used = _fit(
        [(places[i].lon, places[i].lat) for i in sorted(near)], 0, 40, WIDTH, 620, 60
    )
    body.append(
        f'<rect x="0" y="40" width="{WIDTH}" height="{_n(used)}" fill="#F4F8FB" stroke="#9AB"/>'
    )
    body.append(
        f'<text x="{_n(margin)}" y="26" font-weight="bold">Places, roads and routes '
        f"(equirectangular projection, north up)</text>"
    )

    def pos(iri: str) -> tuple[float, float]:
        return frame.xy(places[iri].lon, places[iri].lat)

    def route_points(route: dict[str, Any]) -> list[str]:
        if legs.get(route["iri"]):
            chain = [legs[route["iri"]][0].get("from")] + [r.get("to") for r in legs[route["iri"]]]
            return [p for p in chain if p in near]
        ends = [p for p in (route["from"], route["to"]) if p in near]
        through = [p for p in route["through"] if p in near and p not in ends]
        if ends:
            fx, fy = pos(ends[0])
            through.sort(key=lambda p: ((pos(p)[0] - fx) ** 2 + (pos(p)[1] - fy) ** 2, p))
        chain = ends[:1] + through + ends[1:]
        return [p for i, p in enumerate(chain) if p not in chain[:i]]

    # Corridors first (under everything), then districts, roads, legs, places.
    for route in routes:
        if route["iri"] in places and places[route["iri"]].corridor:
            chain = route_points(route)
            if len(chain) >= 2:
                d = " ".join(
                    f"{'M' if i == 0 else 'L'}{_n(pos(p)[0])},{_n(pos(p)[1])}"
                    for i, p in enumerate(chain)
                )
                inner = (
                    f"<title>{_esc(route['label'])} (corridor)</title>"
                    f'<path d="{d}" fill="none" stroke="#CC79A7" stroke-opacity="0.3" '
                    f'stroke-width="22" stroke-linecap="round" stroke-linejoin="round"/>'
                )
                body.append(
                    _a(
                        _link(href, route["iri"]),
                        inner,
                        "corridor",
                        f' data-route="{_esc(route["iri"])}"',
                    )
                )
    for iri in sorted(near):
        place = places[iri]
        if place.district:
            x, y = pos(iri)
            inner = (
                f"<title>{_esc(place.label)} (district; its representative point, not its "
                f'boundary)</title><circle cx="{_n(x)}" cy="{_n(y)}" r="26" '
                f'fill="#E69F00" fill-opacity="0.08" stroke="#B07800" '
                f'stroke-dasharray="3 3"/>'
            )
            body.append(_a(_link(href, iri), inner, "district", f' data-place="{_esc(iri)}"'))

    statuses_used = set()
    for route in routes:
        chain = route_points(route)
        status = _status_key(route["status"])
        statuses_used.add(status)
        colour, dash, words = STATUS_STYLES[status]
        status_text = route["statusLabel"] or words
        if route["asOf"]:
            status_text += f" as of {_day(route['asOf'])}"
        tip = f"{route['label']}: {status_text}"
        cls = f"road status-{words.replace(' ', '-')}"
        extra = f' data-route="{_esc(route["iri"])}" data-status="{_esc(status)}"'
        if len(chain) >= 2:
            d = " ".join(
                f"{'M' if i == 0 else 'L'}{_n(pos(p)[0])},{_n(pos(p)[1])}"
                for i, p in enumerate(chain)
            )
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            inner = (
                f'<title>{_esc(tip)}</title><path d="{d}" fill="none" '
                f'stroke="{colour}" stroke-width="4" stroke-linejoin="round"{dash_attr}/>'
            )
        elif chain:
            # One known end only: a ring in the status's colour at that end.
            x, y = pos(chain[0])
            inner = (
                f'<title>{_esc(tip)} (only one end known)</title><circle cx="{_n(x)}" '
                f'cy="{_n(y)}" r="9" fill="none" stroke="{colour}" stroke-width="3"'
                + (f' stroke-dasharray="{dash}"' if dash else "")
                + "/>"
            )
        else:
            continue
        body.append(_a(_link(href, route["iri"]), inner, cls, extra))

    leg_notes = []
    for route_iri in sorted(legs):
        for row in legs[route_iri]:
            a, b = row.get("from"), row.get("to")
            if a not in near or b not in near:
                continue
            (x1, y1), (x2, y2) = pos(a), pos(b)
            length = math.hypot(x2 - x1, y2 - y1) or 1.0
            # Ends pulled in a little so that the arrowhead is not hidden under the place mark.
            ux, uy = (x2 - x1) / length, (y2 - y1) / length
            pull = min(7.0, length / 3)
            sx, sy, ex, ey = x1 + ux * pull, y1 + uy * pull, x2 - ux * pull, y2 - uy * pull
            mx, my = (x1 + x2) / 2 - uy * 10, (y1 + y2) / 2 + ux * 10
            order = int(row["order"])
            route_label = next((r["label"] for r in routes if r["iri"] == route_iri), route_iri)
            tip = f"Leg {order} of {route_label}: {places[a].label} to {places[b].label}" + (
                f" ({row['mode']})" if row.get("mode") else ""
            )
            inner = (
                f"<title>{_esc(tip)}</title>"
                f'<line x1="{_n(sx)}" y1="{_n(sy)}" x2="{_n(ex)}" y2="{_n(ey)}" '
                f'stroke="{ROUTE_COLOUR}" stroke-width="2" marker-end="url(#map-arrow)"/>'
                f'<circle cx="{_n(mx)}" cy="{_n(my)}" r="8" fill="#fff" '
                f'stroke="{ROUTE_COLOUR}"/><text x="{_n(mx)}" y="{_n(my + 4)}" '
                f'font-size="10" text-anchor="middle" fill="{ROUTE_COLOUR}">{order}</text>'
            )
            body.append(
                _a(
                    _link(href, row["leg"]),
                    inner,
                    "leg",
                    f' data-route="{_esc(route_iri)}" data-order="{order}"',
                )
            )
            leg_notes.append(tip)

    # Places: a dot each, then labels placed greedily where they overlap no earlier label.
    boxes: list[tuple[float, float, float, float]] = []
    order = sorted(near, key=lambda i: (-places[i].lat, places[i].lon, i))
    for iri in order:
        place = places[iri]
        x, y = pos(iri)
        label = place.label
        w, h = _text_width(label, 11), 12.0
        lx, ly, anchor = x + 6, y + 4, "start"
        for dy in (0, -13, 13, -26, 26, -39, 39, -52, 52, -65, 65):
            for side in (1, -1):
                cx = x + 6 if side == 1 else x - 6 - w
                box = (cx, y + dy - 9, cx + w, y + dy - 9 + h)
                if box[0] < 2 or box[2] > WIDTH - 2:
                    continue
                if all(
                    box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in boxes
                ):
                    lx, ly = (x + 6 if side == 1 else x - 6), y + dy + 3
                    anchor = "start" if side == 1 else "end"
                    boxes.append(box)
                    break
            else:
                continue
            break
        names = "; ".join(place.names) if place.names else "no other names"
        approx = place.geometry_label or "approximate point"
        tip = f"{place.label}. Names: {names}. {approx} ({place.lat:.4f} N, {place.lon:.4f} E)"
        leader = ""
        if abs(ly - 3 - y) > 6:
            leader = (
                f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(lx)}" y2="{_n(ly - 4)}" '
                f'stroke="#999" stroke-width="0.7"/>'
            )
        fill = "#fff" if iri not in own_points else "#222"
        inner = (
            f'<title>{_esc(tip)}</title>{leader}<circle cx="{_n(x)}" cy="{_n(y)}" '
            f'r="3.5" fill="{fill}" stroke="#222"/><text x="{_n(lx)}" y="{_n(ly)}" '
            f'font-size="11" text-anchor="{anchor}" stroke="#F4F8FB" stroke-width="3" '
            f'paint-order="stroke">{_esc(label)}</text>'
        )
        body.append(
            _a(
                _link(href, iri),
                inner,
                "place",
                f' data-place="{_esc(iri)}" data-lon="{place.lon}" data-lat="{place.lat}"',
            )
        )

    y = 40 + used + 8
    # The note on the points' source, on the map itself.
    source_links = []
    x = margin + _text_width("Points are approximate; source: ", 11)
    for row in gazetteers:
        label = row.get("label") or row["source"]
        inner = (
            f'<title>Background source: {_esc(label)}</title><text x="{_n(x)}" '
            f'y="{_n(y + 12)}" font-size="11" text-decoration="underline">{_esc(label)}</text>'
        )
        source_links.append(_a(_link(href, row["source"]), inner, "map-source"))
        x += _text_width(label, 11) + 12
    body.append(
        f'<g class="map-note"><text x="{_n(margin)}" y="{_n(y + 12)}" font-size="11">'
        f"Points are approximate; source: </text>{''.join(source_links)}"
        f'<text x="{_n(margin)}" y="{_n(y + 27)}" font-size="11">Districts are shown '
        f"as rings around a representative point, not their boundaries. A hollow dot has "
        f"no point of its own.</text></g>"
    )
    y += 40

    # Legend: road statuses, legs, districts, corridor.
    body.append(
        f'<g class="legend"><text x="{_n(margin)}" y="{_n(y + 10)}" '
        f'font-weight="bold">Roads by status</text>'
    )
    y += 18
    x = margin
    for status in [s for s in STATUS_STYLES if s in statuses_used]:
        colour, dash, words = STATUS_STYLES[status]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(
            f'<line x1="{_n(x)}" y1="{_n(y + 6)}" x2="{_n(x + 36)}" y2="{_n(y + 6)}" '
            f'stroke="{colour}" stroke-width="4"{dash_attr}/><text x="{_n(x + 42)}" '
            f'y="{_n(y + 10)}" font-size="11">{_esc(words)}</text>'
        )
        x += 60 + _text_width(words, 11)
        if x > WIDTH - 150:
            x, y = margin, y + 18
    y += 22
    body.append(
        f'<line x1="{_n(margin)}" y1="{_n(y + 6)}" x2="{_n(margin + 36)}" y2="{_n(y + 6)}" '
        f'stroke="{ROUTE_COLOUR}" stroke-width="2" marker-end="url(#map-arrow)"/>'
        f'<circle cx="{_n(margin + 18)}" cy="{_n(y - 4)}" r="8" fill="#fff" '
        f'stroke="{ROUTE_COLOUR}"/><text x="{_n(margin + 18)}" y="{_n(y)}" font-size="10" '
        f'text-anchor="middle" fill="{ROUTE_COLOUR}">1</text><text x="{_n(margin + 44)}" '
        f'y="{_n(y + 10)}" font-size="11">a leg of a route, numbered in order, arrow towards '
        f"its end</text>"
    )
    y += 20
    body.append(
        f'<line x1="{_n(margin)}" y1="{_n(y + 6)}" x2="{_n(margin + 36)}" y2="{_n(y + 6)}" '
        f'stroke="#CC79A7" stroke-opacity="0.3" stroke-width="14"/><text '
        f'x="{_n(margin + 44)}" y="{_n(y + 10)}" font-size="11">a corridor</text>'
        f'<circle cx="{_n(margin + 150)}" cy="{_n(y + 6)}" r="9" fill="#E69F00" '
        f'fill-opacity="0.08" stroke="#B07800" stroke-dasharray="3 3"/><text '
        f'x="{_n(margin + 164)}" y="{_n(y + 10)}" font-size="11">a district</text></g>'
    )
    y += 24

    if far:
        y = _overview(body, places, near, far, frame, used, y, margin, href)

    desc = (
        f"{len(near)} places in the main map and {len(far)} far away on the overview, at "
        f"approximate WGS84 points from "
        + (", ".join(r.get("label") or r["source"] for r in gazetteers) or "the graph")
        + f". {sum(1 for r in routes if route_points(r))} roads and routes drawn by status: "
        + "; ".join(
            f"{r['label']} ({STATUS_STYLES[_status_key(r['status'])][2]})"
            for r in routes
            if route_points(r)
        )
        + ". Legs in order: "
        + "; ".join(leg_notes)
        + "."
    )
    return _svg("map", WIDTH, y + margin, "Map of the places, roads and routes", desc, body)


def _overview(
    body: list[str],
    places: dict[str, _Place],
    near: set[str],
    far: list[str],
    main: _Frame,
    used: float,
    y: float,
    margin: float,
    href: Href,
) -> float:
    """Every place on a small overview, the main map's area as a rectangle on it, the far
    places labelled and linked."""
    body.append(
        f'<text x="{_n(margin)}" y="{_n(y + 12)}" font-weight="bold">Overview: every '
        f"place, the main map's area outlined</text>"
    )
    y += 20
    points = [(p.lon, p.lat) for p in places.values()]
    frame, height = _fit(points, 0, y, WIDTH, 300, 40)
    body.append(
        f'<rect x="0" y="{_n(y)}" width="{WIDTH}" height="{_n(height)}" fill="#F4F8FB" '
        f'stroke="#9AB"/>'
    )
    # The main map's corners back in degrees, then on the overview.
    lon_a = main.lon0 - (main.x0) / (main.kx * main.scale)
    lon_b = main.lon0 + (WIDTH - main.x0) / (main.kx * main.scale)
    lat_a = main.lat1 + (main.y0 - 40) / main.scale
    lat_b = main.lat1 - (40 + used - main.y0) / main.scale
    (ax, ay), (bx, by) = frame.xy(lon_a, lat_a), frame.xy(lon_b, lat_b)
    body.append(
        f'<rect class="overview-main" x="{_n(ax)}" y="{_n(ay)}" width="{_n(bx - ax)}" '
        f'height="{_n(by - ay)}" fill="none" stroke="#B00020" stroke-width="1.5"/>'
    )
    for iri in sorted(places, key=lambda i: (places[i].lon, i)):
        place = places[iri]
        x, py = frame.xy(place.lon, place.lat)
        tip = f"{place.label} ({place.lat:.2f} N, {place.lon:.2f} E)"
        if place.names:
            tip += ". Names: " + "; ".join(place.names)
        label = ""
        if iri not in near:
            label = (
                f'<text x="{_n(x + 6)}" y="{_n(py + 4)}" font-size="11">{_esc(place.label)}</text>'
            )
        inner = (
            f'<title>{_esc(tip)}</title><circle cx="{_n(x)}" cy="{_n(py)}" r="3" '
            f'fill="#222"/>{label}'
        )
        cls = "place overview-far" if iri not in near else "overview-near"
        body.append(
            _a(
                _link(href, iri),
                inner,
                cls,
                f' data-place="{_esc(iri)}" data-lon="{place.lon}" data-lat="{place.lat}"',
            )
        )
    return y + height + 8


# -------------------------------------------------------------------------------- figures

_FIGURE_QUERY = """
SELECT ?figure ?asOf ?value ?minValue ?maxValue ?qualifier ?unit ?kindLabel ?report ?reportLabel
       ?outlet ?paragraph ?voice
WHERE {{
  {values}
  OPTIONAL {{
    ?figure kg:asOf ?time .
    OPTIONAL {{ ?time kg:earliest ?asOf }}
  }}
  OPTIONAL {{ ?figure kg:countValue|kg:numericValue ?value }}
  OPTIONAL {{ ?figure kg:minValue ?minValue }}
  OPTIONAL {{ ?figure kg:maxValue ?maxValue }}
  OPTIONAL {{ ?figure kg:valueQualifier/rdfs:label ?qualifier }}
  OPTIONAL {{ ?figure kg:unit/rdfs:label ?unit }}
  OPTIONAL {{ ?figure kg:quantityKind/rdfs:label ?kindLabel }}
  OPTIONAL {{
    ?reified rdf:subject ?figure ; rdf:predicate ?valueProperty .
    FILTER(?valueProperty IN (kg:countValue, kg:numericValue, kg:minValue))
  }}
  BIND(COALESCE(?reified, ?figure) AS ?holder)
  OPTIONAL {{
    ?holder kg:attestedBy ?attestation .
    ?attestation kg:statedIn ?passage .
    ?passage kg:inDocument ?report ; kg:paragraphNumber ?paragraph .
    OPTIONAL {{ ?report rdfs:label ?reportLabel }}
    OPTIONAL {{ ?report kg:contentBy/rdfs:label ?outlet }}
    OPTIONAL {{ ?attestation kg:accordingTo/rdfs:label ?voice }}
  }}
}}"""


@dataclass
class _Figure:
    iri: str
    as_of: dt.date | None
    value: float | None
    low: float | None
    high: float | None
    qualifier: str = ""
    unit: str = ""
    kind: str = ""
    sources: list[_Source] = field(default_factory=list)

    @property
    def shown(self) -> float:
        if self.value is not None:
            return self.value
        return ((self.low or 0.0) + (self.high if self.high is not None else self.low or 0.0)) / 2


def _figures(build: Any, iris: list[str], href: Href) -> list[_Figure]:
    if not iris:
        return []
    values = "VALUES ?figure { " + " ".join(f"<{i}>" for i in iris) + " }"
    rows = _select(build, _FIGURE_QUERY.format(values=values))
    by_figure: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_figure[row["figure"]].append(row)
    figures = []
    for iri in sorted(by_figure):
        found = by_figure[iri]

        def one(key: str, rows: list[dict[str, Any]] = found) -> Any:
            seen = sorted({r[key] for r in rows if r.get(key) is not None}, key=str)
            return seen[0] if seen else None

        as_of = [r["asOf"] for r in found if isinstance(r.get("asOf"), dt.date)]
        numbers = {k: one(k) for k in ("value", "minValue", "maxValue")}
        numbers = {k: float(v) if isinstance(v, int | float) else None for k, v in numbers.items()}
        with_voice = [dict(r, outlet=r.get("voice") or r.get("outlet")) for r in found]
        figures.append(
            _Figure(
                iri,
                max(as_of) if as_of else None,
                numbers["value"],
                numbers["minValue"],
                numbers["maxValue"],
                one("qualifier") or "",
                one("unit") or "",
                one("kindLabel") or "",
                _report_sources(with_voice, href),
            )
        )
    return figures


def _fmt(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")


def _figure_text(figure: _Figure) -> str:
    if figure.value is not None:
        text = _fmt(figure.value)
    elif figure.low is not None and figure.high is not None:
        text = f"{_fmt(figure.low)} to {_fmt(figure.high)}"
    elif figure.high is not None:
        text = f"up to {_fmt(figure.high)}"
    else:
        text = f"at least {_fmt(figure.low or 0)}"
    if figure.qualifier:
        text = f"{figure.qualifier} {text}"
    return f"{text} {figure.unit}".strip()


def _y_axis(lo: float, hi: float) -> tuple[float, float, list[float]]:
    """A zero-based axis up to a round number above ``hi``, with its ticks."""
    lo = min(0.0, lo)
    span = (hi - lo) or 1.0
    step = 10 ** math.floor(math.log10(span / 4))
    for factor in (1, 2, 2.5, 5, 10):
        if span / (step * factor) <= 6:
            step *= factor
            break
    top = math.ceil(hi / step) * step
    if top <= hi:
        top += step
    ticks = []
    tick = lo
    while tick <= top + step / 2:
        ticks.append(tick)
        tick += step
    return lo, top, ticks


def _figure_chart(
    name: str,
    title: str,
    figures: list[_Figure],
    categories: list[str],
    x_label: str,
    y_label: str,
    desc: str,
) -> str:
    """Points (with error bars for ranges) at their categories along x; each point and each
    source links to the reports' paragraphs."""
    width, left, right, top, plot_h = 640.0, 70.0, 20.0, 16.0, 240.0
    values = [v for f in figures for v in (f.value, f.low, f.high) if v is not None]
    lo, hi, ticks = _y_axis(min(values, default=0.0), max(values, default=1.0))
    step_x = (width - left - right) / max(len(categories), 1)

    def y_of(value: float) -> float:
        return top + plot_h - (value - lo) / (hi - lo) * plot_h

    # No visible title: the page's heading gives it, and a long one would not fit a phone.
    body = [
        '<g class="axis" stroke="#999">'
        f'<line x1="{_n(left)}" y1="{_n(top)}" x2="{_n(left)}" y2="{_n(top + plot_h)}"/>'
        f'<line x1="{_n(left)}" y1="{_n(top + plot_h)}" x2="{_n(width - right)}" '
        f'y2="{_n(top + plot_h)}"/></g>'
    ]
    for tick in ticks:
        ty = y_of(tick)
        body.append(
            f'<line x1="{_n(left - 4)}" y1="{_n(ty)}" x2="{_n(width - right)}" '
            f'y2="{_n(ty)}" stroke="#eee"/><text x="{_n(left - 6)}" y="{_n(ty + 4)}" '
            f'font-size="10" text-anchor="end">{_esc(_fmt(tick))}</text>'
        )
    body.append(
        f'<text transform="translate(14 {_n(top + plot_h / 2)}) rotate(-90)" '
        f'font-size="11" text-anchor="middle">{_esc(y_label)}</text>'
    )
    for i, category in enumerate(categories):
        cx = left + step_x * (i + 0.5)
        body.append(
            f'<text x="{_n(cx)}" y="{_n(top + plot_h + 16)}" font-size="10" '
            f'text-anchor="middle">{_esc(category)}</text>'
        )
    body.append(
        f'<text x="{_n(left + (width - left - right) / 2)}" '
        f'y="{_n(top + plot_h + 34)}" font-size="11" text-anchor="middle">'
        f"{_esc(x_label)}</text>"
    )
    y = top + plot_h + 50
    previous = None
    for i, figure in enumerate(figures):
        cx = left + step_x * (i + 0.5)
        cy = y_of(figure.shown)
        if previous is not None and name == "series":
            body.append(
                f'<line x1="{_n(previous[0])}" y1="{_n(previous[1])}" x2="{_n(cx)}" '
                f'y2="{_n(cy)}" stroke="#0072B2" stroke-opacity="0.5"/>'
            )
        previous = (cx, cy)
        tip = f"{_figure_text(figure)}" + (f", as of {_day(figure.as_of)}" if figure.as_of else "")
        tip += "; " + "; ".join(s.title for s in figure.sources) if figure.sources else ""
        inner = [f"<title>{_esc(tip)}</title>"]
        if figure.low is not None or figure.high is not None:
            y1 = y_of(figure.low if figure.low is not None else figure.shown)
            y2 = y_of(figure.high if figure.high is not None else figure.shown)
            inner.append(
                f'<path class="error-bar" d="M{_n(cx)},{_n(y1)} L{_n(cx)},{_n(y2)} '
                f"M{_n(cx - 6)},{_n(y1)} L{_n(cx + 6)},{_n(y1)} M{_n(cx - 6)},{_n(y2)} "
                f'L{_n(cx + 6)},{_n(y2)}" stroke="#0072B2" stroke-width="1.5" '
                f'fill="none"/>'
            )
        shape = "circle" if figure.value is not None else "diamond"
        inner.append(_shape(shape, cx, cy, 10, "#0072B2", ' stroke="#fff"'))
        inner.append(
            f'<text x="{_n(cx + 8)}" y="{_n(cy - 6)}" font-size="10">'
            f"{_esc(_figure_text(figure))}</text>"
        )
        first = figure.sources[0].target if figure.sources else None
        extra = (
            f' data-figure="{_esc(figure.iri)}" data-as-of="{figure.as_of or ""}" '
            f'data-value="{_esc(_fmt(figure.shown))}"'
        )
        body.append(_a(first, "".join(inner), "figure-point", extra))
        # Every source of the point, linked, under the axis.
        line = [
            f'<g class="figure-sources" data-figure="{_esc(figure.iri)}">'
            f'<text x="{_n(12)}" y="{_n(y)}" font-size="10">{_esc(category_of(categories, i))}:'
            f"</text>"
        ]
        sx = 12 + _text_width(category_of(categories, i) + ": ", 10) + 4
        for source in figure.sources:
            text = (
                f'<title>{_esc(source.title)}</title><text x="{_n(sx)}" y="{_n(y)}" '
                f'font-size="10" text-decoration="underline">{_esc(source.label)}</text>'
            )
            line.append(_a(source.target, text, "figure-source"))
            sx += _text_width(source.label, 10) + 8
            if sx > width - 80:
                sx, y = 12 + 20, y + 14
        line.append("</g>")
        body.append("".join(line))
        y += 16
    return _svg(name, width, y + 6, title, desc, body)


def category_of(categories: list[str], i: int) -> str:
    return categories[i] if i < len(categories) else ""


def series_charts(build: Any, href: Href) -> list[tuple[str, str, str]]:
    """A chart per kg:FigureSeries (x: the as-of days in order, y: the figures, ranges as error
    bars, each point linked to its report's paragraph), then one per disagreement over figures
    with its figures side by side: (IRI, title, svg), series first, each group by title."""
    charts: list[tuple[str, str, str]] = []
    series_rows = _select(
        build,
        """
SELECT ?series ?label ?figure ?since WHERE {
  ?series a kg:FigureSeries ; kg:seriesMember ?figure .
  OPTIONAL { ?series rdfs:label ?label }
  OPTIONAL { ?series kg:countedSince/kg:earliest ?since }
}""",
    )
    members: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    since: dict[str, dt.date] = {}
    for row in series_rows:
        members[row["series"]].add(row["figure"])
        labels[row["series"]] = min(
            labels.get(row["series"], "\uffff"), row.get("label", row["series"])
        )
        if isinstance(row.get("since"), dt.date):
            since[row["series"]] = row["since"]
    for iri in sorted(members, key=lambda s: (labels[s], s)):
        figures = [f for f in _figures(build, sorted(members[iri]), href) if f.as_of]
        figures.sort(key=lambda f: (f.as_of, f.shown, f.iri))
        if not figures:
            continue
        unit = next((f.unit for f in figures if f.unit), "")
        kind = next((f.kind for f in figures if f.kind), "value")
        y_label = f"{kind} ({unit})" if unit else kind
        x_label = "as of (day)" + (f"; counted since {_day(since[iri])}" if iri in since else "")
        categories = [f"{f.as_of.day} {f.as_of:%b}" for f in figures]  # type: ignore[union-attr]
        desc = (
            f"{labels[iri]}: "
            + "; ".join(
                f"{_figure_text(f)} as of {_day(f.as_of)}"
                for f in figures  # type: ignore[arg-type]
            )
            + "."
        )
        charts.append(
            (
                iri,
                labels[iri],
                _figure_chart("series", labels[iri], figures, categories, x_label, y_label, desc),
            )
        )

    disagreement_rows = _select(
        build,
        """
SELECT ?d ?label ?side WHERE {
  ?d a kg:Disagreement ; kg:disagreementKind kg:FigureDisagreement ; kg:hasSide ?side .
  OPTIONAL { ?d rdfs:label ?label }
}""",
    )
    sides: dict[str, set[str]] = defaultdict(set)
    for row in disagreement_rows:
        sides[row["d"]].add(row["side"])
        labels[row["d"]] = min(labels.get(row["d"], "\uffff"), row.get("label", row["d"]))
    for iri in sorted(sides, key=lambda d: (labels[d], d)):
        figures = _figures(build, sorted(sides[iri]), href)
        figures = [
            f for f in figures if f.value is not None or f.low is not None or f.high is not None
        ]
        if len(figures) < 2:
            continue
        figures.sort(key=lambda f: (f.sources[0].label if f.sources else "", f.iri))
        unit = next((f.unit for f in figures if f.unit), "")
        kind = next((f.kind for f in figures if f.kind), "value")
        y_label = f"{kind} ({unit})" if unit else kind
        categories = [
            " / ".join(dict.fromkeys(s.label.split(" ¶")[0] for s in f.sources))
            or "source not given"
            for f in figures
        ]
        desc = (
            f"Disagreement: {labels[iri]}. "
            + "; ".join(
                f"{_figure_text(f)} according to {categories[i]}" for i, f in enumerate(figures)
            )
            + "."
        )
        charts.append(
            (
                iri,
                labels[iri],
                _figure_chart(
                    "disagreement", labels[iri], figures, categories, "source", y_label, desc
                ),
            )
        )
    return charts
