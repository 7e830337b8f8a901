"""Adding a report: read a stored copy, write its source records into ``data/``, check that
recorded passages still match the text, and list the names of the graph each paragraph
mentions.

A stored copy (``../shared/corpus/*.txt``) starts with a header of ``# key: value`` lines (source,
outlet, published, language) and a blank line; paragraphs are the lines with text after the
header, counted from 1. A copy without a header (the first report) is all paragraphs.
Passages are cited, never quoted: a passage record holds the SHA-256 of its paragraph's text
(UTF-8, stripped of surrounding white space), so anyone with the copy can check a citation.
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kgbuild.errors import DataError, DataErrors, InputError, display_path, excerpt
from kgbuild.load import data_files, read_records
from kgbuild.namespaces import ID_BASE

__all__ = [
    "Report",
    "mentions",
    "passage_hash",
    "read_report",
    "recorded_passages",
    "source_file_text",
    "verify_report",
]

HEADER_KEYS = ("source", "outlet", "published", "language")
# ISO 639-1 codes of the id.loc.gov vocabulary the records use.
LANGUAGE_BASE = "http://id.loc.gov/vocabulary/iso639-1/"
SOURCES_DIR = "sources"
OUTLETS_FILE = "outlets.yaml"

_HEADER_RE = re.compile(r"#\s*([A-Za-z_-]+)\s*:\s*(.*)")
_DATE_RE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:\s*\((.*)\))?\s*")
_REPUBLISHED_RE = re.compile(r"(.+?)\s*\(republished by (.+)\)\s*")
_NUMBER_RE = re.compile(r"(\d{3})_")
_MONTHS = [
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
]


@dataclass
class Report:
    """A stored copy of a report."""

    path: Path
    identifier: str  # the file name without .txt
    number: str  # its three-digit number, e.g. "001"
    header: dict[str, str] = field(default_factory=dict)
    header_lines: dict[str, int] = field(default_factory=dict)
    paragraphs: list[str] = field(default_factory=list)
    paragraph_lines: list[int] = field(default_factory=list)

    @property
    def content_by(self) -> str:
        match = _REPUBLISHED_RE.fullmatch(self.header.get("outlet", ""))
        return match[1] if match else self.header.get("outlet", "")

    @property
    def published_by(self) -> str:
        match = _REPUBLISHED_RE.fullmatch(self.header.get("outlet", ""))
        return match[2] if match else self.content_by

    @property
    def published(self) -> str:
        match = _DATE_RE.fullmatch(self.header.get("published", ""))
        return match[1] if match else ""

    @property
    def date_note(self) -> str:
        match = _DATE_RE.fullmatch(self.header.get("published", ""))
        return (match[2] or "") if match else ""

    @property
    def slug(self) -> str:
        parts = self.identifier.split("_")
        return parts[1] if len(parts) > 2 else "report"


def passage_hash(text: str) -> str:
    """The SHA-256 a passage record holds for the paragraph ``text``."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


def read_report(path: str | Path) -> Report:
    """Read a stored copy; raises InputError (with file and line) when it cannot be used."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise InputError(
            "report file not found", path, None, "give the path of a .txt copy"
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the report is not UTF-8 text (byte {exc.start})", path, None, "save it as UTF-8"
        ) from exc
    except OSError as exc:
        raise InputError(f"cannot read the report: {exc.strerror}", path) from exc
    match = _NUMBER_RE.match(path.name)
    if path.suffix != ".txt" or not match:
        raise InputError(
            "a report copy is named NNN_outlet_YYYY-MM-DD.txt, with a three-digit number",
            path,
            None,
            "rename it, e.g. 013_tass_2020-12-03.txt",
        )
    report = Report(path, path.stem, match[1])
    lines = text.splitlines()
    start = 0
    if lines and lines[0].startswith("#"):
        for number, line in enumerate(lines, 1):
            if not line.strip():
                start = number
                break
            header = _HEADER_RE.fullmatch(line.strip())
            if not header:
                raise InputError(
                    f"header line is not '# key: value': '{excerpt(line)}'",
                    path,
                    number,
                    "end the header with a blank line before the first paragraph",
                )
            report.header[header[1].lower()] = header[2].strip()
            report.header_lines[header[1].lower()] = number
        else:
            raise InputError(
                "the header never ends", path, len(lines), "put a blank line after the header"
            )
        for key in HEADER_KEYS:
            if not report.header.get(key):
                raise InputError(
                    f"the header has no '{key}'",
                    path,
                    1,
                    f"add '# {key}: ...' to the header (it needs {', '.join(HEADER_KEYS)})",
                )
        if not report.published:
            raise InputError(
                f"'published' is not a date: '{excerpt(report.header['published'])}'",
                path,
                report.header_lines["published"],
                "write it as YYYY-MM-DD",
            )
        if not re.fullmatch(r"[a-z]{2}", report.header["language"]):
            raise InputError(
                "'language' is not a two-letter ISO 639-1 code: "
                f"'{excerpt(report.header['language'])}'",
                path,
                report.header_lines["language"],
                "write e.g. 'en' or 'ru'",
            )
    for number, line in enumerate(lines[start:], start + 1):
        if line.strip():
            report.paragraphs.append(line.strip())
            report.paragraph_lines.append(number)
    if not report.paragraphs:
        raise InputError("the report has no paragraphs", path, None, "check the copy")
    return report


# --------------------------------------------------------------------------------------------
# The records of a new report


def _slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "outlet"


def outlet_id(name: str) -> str:
    return f"actor/outlet-{_slugify(name)}"


def _day(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{int(day)} {_MONTHS[int(month) - 1]} {year}"


def guess_role(text: str, index: int) -> str:
    """A first guess at a paragraph's role, for the analyst to check."""
    words = text.split()
    if re.match(r"(By|Author:)\s", text) or text.startswith("Source:"):
        return "Byline"
    if "Photo" in text and ("Photo:" in text or "Photo by" in text) and len(words) < 40:
        return "PhotoCaption"
    if re.fullmatch(r"[\w ,.:/-]*\d{1,2}[\w ,.:/-]*\d{4}[\w ,.:]*|[\d:, ]+[^\d]*\d{4}", text) and (
        len(words) <= 8
    ):
        return "Dateline"
    if text.endswith(":") and len(words) <= 4:
        return "SpeakerLine"
    if index == 0 and len(words) <= 14 and not text.endswith((".", "?", "!", "”", '"')):
        return "Heading"
    return "BodyParagraph"


def source_file_text(report: Report) -> str:
    """The YAML of a new report's source records: the document, the record of its stored copy,
    and one passage per paragraph (role guessed; check it)."""
    number, outlet = report.number, report.content_by
    day = _day(report.published)
    name = f"report {number} ({outlet}, {day})"
    publisher = report.published_by
    republished = publisher != outlet
    copy_note = (
        f"The header of the stored copy {report.path.name} gives the web address of the copy, "
        f"the outlet, the publication date and the language of {name}"
        + (f", and says that {publisher} republished the text of {outlet}" if republished else "")
        + ". The copy may be cut short."
    )
    if report.date_note:
        copy_note += " The header adds that the date is worked out from the text."
    document = {
        "id": f"source/{number}-{report.slug}",
        "type": "SourceDocument",
        "label": f"{outlet} report of {day}",
        "title": f"{outlet} report of {day}",
        "issued": report.published,
        "language": LANGUAGE_BASE + report.header["language"],
        "identifier": report.identifier,
        "url": report.header["source"],
        "contentBy": outlet_id(outlet),
        "publishedBy": outlet_id(publisher),
        "backgroundSource": f"background/copy-{number}",
    }
    copy = {
        "id": f"background/copy-{number}",
        "type": "BackgroundSource",
        "label": f"Stored copy of {name}",
        "description": copy_note,
    }
    passages = []
    for index, text in enumerate(report.paragraphs):
        n = index + 1
        passages.append(
            {
                "id": f"passage/{number}-p{n:02d}",
                "type": "Passage",
                "label": f"Paragraph {n} of {name}",
                "inDocument": document["id"],
                "paragraphNumber": str(n),
                "paragraphRole": guess_role(text, index),
                "textSha256": passage_hash(text),
            }
        )
    head = (
        f"# Source records of {name}, written by `kgbuild add-source`: the document, the\n"
        "# record of its stored copy, and one passage per paragraph (cited by the SHA-256 of its\n"
        "# text, never quoted). Check each paragraphRole and give the document a title that says\n"
        "# what it covers; write the report's statements in data/reports/.\n"
    )
    return head + _dump([document, copy, *passages])


def outlet_records(report: Report, known: set[str]) -> list[dict[str, str]]:
    """Records for the report's outlets that the data does not have yet."""
    records = []
    for name in dict.fromkeys((report.content_by, report.published_by)):
        iri = outlet_id(name)
        if ID_BASE + iri in known:
            continue
        records.append(
            {
                "id": iri,
                "type": "NewsOutlet",
                "label": name,
                "backgroundSource": f"background/copy-{report.number}",
            }
        )
    return records


_PLAIN_RE = re.compile(r"[\w(][\w ./,()'’–-]*", re.UNICODE)


def _scalar(value: str) -> str:
    """``value`` as a YAML scalar: plain where YAML reads it back unchanged, else quoted."""
    if _PLAIN_RE.fullmatch(value) and not value.endswith(" "):
        return value
    return json.dumps(value, ensure_ascii=False)


def _record_lines(record: dict[str, str]) -> list[str]:
    lines = []
    for i, (key, value) in enumerate(record.items()):
        lead = "  - " if i == 0 else "    "
        if len(value) > 80 and key == "description":
            lines.append(f"{lead}{key}: >-")
            lines.extend(f"      {line}" for line in textwrap.wrap(value, 90))
        else:
            lines.append(f"{lead}{key}: {_scalar(value)}")
    return lines


def _dump(records: Iterable[dict[str, str]]) -> str:
    lines = ['"@context": context.jsonld', '"@graph":']
    for i, record in enumerate(records):
        if i:
            lines.append("")
        lines.extend(_record_lines(record))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# What the data already records


@dataclass
class RecordedPassage:
    iri: str
    number: int
    sha256: str
    path: Path
    line: int


def recorded_passages(data_dir: Path) -> dict[str, tuple[str, list[RecordedPassage]]]:
    """identifier -> (document IRI, its passages), read from the YAML without building."""
    documents: dict[str, str] = {}  # document IRI -> identifier
    passages: dict[str, list[RecordedPassage]] = defaultdict(list)
    for path in data_files(data_dir):
        for record in read_records(path):
            if not isinstance(record, dict):
                continue
            types = record.get("type")
            types = types if isinstance(types, list) else [types]
            rid = record.get("id")
            if "SourceDocument" in types and isinstance(record.get("identifier"), str):
                documents[str(rid)] = record["identifier"]
            elif "Passage" in types:
                try:
                    number = int(str(record.get("paragraphNumber")))
                except ValueError:
                    continue
                passages[str(record.get("inDocument"))].append(
                    RecordedPassage(
                        str(rid),
                        number,
                        str(record.get("textSha256", "")),
                        path,
                        getattr(record, "line", 0),
                    )
                )
    return {
        identifier: (doc, sorted(passages.get(doc, []), key=lambda p: p.number))
        for doc, identifier in documents.items()
    }


def verify_report(report: Report, recorded: list[RecordedPassage]) -> list[DataError]:
    """Errors for passages whose paragraph is gone or whose text no longer matches its hash."""
    errors = []
    for passage in recorded:
        index = passage.number - 1
        if index >= len(report.paragraphs):
            errors.append(
                DataError(
                    f"{passage.iri} cites paragraph {passage.number} of "
                    f"'{display_path(report.path)}', which has only {len(report.paragraphs)}",
                    passage.path,
                    passage.line,
                    "the copy changed since the report was added: check it, then run "
                    "`kgbuild add-source --force` and the statements that cite it",
                )
            )
        elif passage_hash(report.paragraphs[index]) != passage.sha256:
            errors.append(
                DataError(
                    f"{passage.iri}: paragraph {passage.number} of "
                    f"'{display_path(report.path)}' (line {report.paragraph_lines[index]}) no "
                    "longer matches the SHA-256 recorded for it",
                    passage.path,
                    passage.line,
                    "the copy changed since the report was added: check it, then run "
                    "`kgbuild add-source --force` and the statements that cite it",
                )
            )
    return errors


def check_reports(reports: Iterable[Report], data_dir: Path) -> list[str]:
    """Verify every report that the data records; raises DataErrors on mismatches. Returns the
    identifiers of the reports the data does not record."""
    recorded = recorded_passages(data_dir)
    errors: list[DataError] = []
    missing = []
    for report in reports:
        if report.identifier not in recorded:
            missing.append(report.identifier)
            continue
        errors.extend(verify_report(report, recorded[report.identifier][1]))
    if errors:
        raise DataErrors(errors)
    return missing


# --------------------------------------------------------------------------------------------
# Names mentioned


_LATIN = re.compile(r"[A-Za-z]")


def _name_pattern(name: str) -> re.Pattern[str]:
    escaped = re.escape(name)
    # Words of other scripts inflect (Бердзора, Бердзоре): allow a short ending.
    ending = r"\w{0,3}" if not _LATIN.search(name) else r"(?:'s)?"
    return re.compile(rf"(?<!\w){escaped}{ending}(?!\w)", re.IGNORECASE)


def name_table(names: Iterable[tuple[str, str]]) -> list[tuple[str, re.Pattern[str], str]]:
    """(name, pattern, node id) for every name and label, longest first."""
    seen: dict[tuple[str, str], None] = {}
    for text, node in names:
        text = re.sub(r"\s*\([^)]*\)\s*$", "", text)  # "Lachin (en)", "... (ANAMA)"
        parts = re.split(r"\s+/\s+", text)
        # A neutral double name ("Berdzor / Lachin") is two names; a longer label is one.
        if len(parts) != 2 or any(len(part.split()) > 3 for part in parts):
            parts = [text]
        for part in parts:
            part = part.strip()
            if len(part) >= 3:
                seen[(part, node)] = None
    table = [(name, _name_pattern(name), node) for name, node in seen]
    table.sort(key=lambda item: (-len(item[0]), item[0], item[2]))
    return table


def mentions(
    report: Report, table: list[tuple[str, re.Pattern[str], str]]
) -> list[list[tuple[str, str]]]:
    """For each paragraph, the (name as written, node id) pairs it mentions; a name inside a
    longer name found in the same place is left out."""
    found: list[list[tuple[str, str]]] = []
    for text in report.paragraphs:
        taken: list[tuple[int, int]] = []
        hits: dict[tuple[str, str], None] = {}
        for _, pattern, node in table:
            for match in pattern.finditer(text):
                span = match.span()
                if any(a <= span[0] and span[1] <= b and (a, b) != span for a, b in taken):
                    continue
                taken.append(span)
                hits[(match[0], node)] = None
        found.append(list(hits))
    return found


def graph_names(data_dir: Path, ontology_dir: Path) -> list[tuple[str, str]]:
    """(text, node id) for the labels of data nodes and the written forms of their names."""
    from kgbuild.load import load_data
    from kgbuild.namespaces import KG, RDFS
    from kgbuild.ontology import load_ontology

    ontology = load_ontology(ontology_dir)
    loaded = load_data(data_dir, ontology)
    owner: dict[str, str] = {}
    labels: list[tuple[str, str]] = []
    for s, p, o in loaded.triples:
        if p == KG.hasName:
            owner[str(o)] = str(s)
    wanted = ("place/", "country/", "actor/", "person/", "route/", "agreement/")
    for s, p, o in loaded.triples:
        subject = str(s)[len(ID_BASE) :]
        if p == RDFS.label and subject.startswith(wanted):
            labels.append((str(o), subject))
        elif p == KG.nameString and str(s) in owner:
            labels.append((str(o), owner[str(s)][len(ID_BASE) :]))
    return labels


# --------------------------------------------------------------------------------------------
# The command


def _defined_ids(data_dir: Path) -> set[str]:
    ids = set()
    for path in data_files(data_dir):
        for record in read_records(path):
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                ids.add(ID_BASE + record["id"])
    return ids


def _outlets_text(path: Path, records: list[dict[str, str]]) -> str:
    if path.exists():
        text = path.read_text(encoding="utf-8").rstrip("\n") + "\n"
        body = _dump(records).split('"@graph":\n', 1)[1]
        return text + "\n" + body
    head = (
        "# News outlets: who wrote or published the reports. `kgbuild add-source` adds an outlet\n"
        "# the first time a report names it; add basedIn (citing background/outlet-directory).\n"
    )
    return head + _dump(records)


def add_reports(
    paths: list[Path],
    data_dir: Path,
    ontology_dir: Path = Path("ontology"),
    check: bool = False,
    force: bool = False,
    names: bool = True,
) -> list[str]:
    """Add or check reports (see ``kgbuild add-source --help``); returns the lines to print."""
    from kgbuild.serialize import atomic_write_bytes

    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(
            f"data directory '{data_dir.as_posix()}' does not exist",
            hint="pass --data DIR with the YAML-LD data files",
        )
    reports = [read_report(path) for path in paths]
    recorded = recorded_passages(data_dir)
    errors: list[DataError] = []
    lines: list[str] = []
    new: list[Report] = []
    for report in reports:
        where = display_path(report.path)
        if report.identifier in recorded and not force:
            found = verify_report(report, recorded[report.identifier][1])
            errors.extend(found)
            if not found:
                n = len(recorded[report.identifier][1])
                lines.append(f"{where}: in the data; its {n} recorded passages match the text")
        elif check:
            errors.append(
                DataError(
                    f"report '{report.identifier}' is not in the data",
                    report.path,
                    None,
                    "run `kgbuild add-source` on it without --check to add it",
                )
            )
        elif not report.header:
            raise InputError(
                "the report has no header, so its outlet and date are unknown",
                report.path,
                1,
                "add '# source:', '# outlet:', '# published:' and '# language:' lines and a "
                "blank line before the first paragraph",
            )
        else:
            new.append(report)
    if errors:
        raise DataErrors(errors)
    known = _defined_ids(data_dir)
    outlets: list[dict[str, str]] = []
    for report in new:
        target = data_dir / SOURCES_DIR / f"{report.identifier}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, source_file_text(report).encode("utf-8"))
        lines.append(
            f"{display_path(report.path)}: wrote {display_path(target)} "
            f"({len(report.paragraphs)} passages)"
        )
        for record in outlet_records(report, known):
            known.add(ID_BASE + record["id"])
            outlets.append(record)
    if outlets:
        target = data_dir / OUTLETS_FILE
        atomic_write_bytes(target, _outlets_text(target, outlets).encode("utf-8"))
        lines.append(
            f"added {', '.join(r['id'] for r in outlets)} to {display_path(target)}; "
            "add where each is based (basedIn)"
        )
    if names and (new or reports):
        try:
            table = name_table(graph_names(data_dir, ontology_dir))
        except Exception as exc:  # the names are a help, not the task
            lines.append(f"names not listed: the data does not load ({str(exc).splitlines()[0]})")
            return lines
        for report in new or reports:
            lines.append(f"{display_path(report.path)}: names of the graph per paragraph")
            for n, hits in enumerate(mentions(report, table), 1):
                listed = "; ".join(f"{text} → {node}" for text, node in hits) or "-"
                lines.append(f"  p{n:<3} {listed}")
    return lines
