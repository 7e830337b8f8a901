"""YAML with line numbers: the text of a data file as mappings, lists and strings that remember
the line of themselves and of each key and item, so that errors point at ``file:line``.

Scalars are kept as strings (no YAML implicit typing: the context's datatypes type them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from kgbuild.errors import DataError, InputError, excerpt, first_line

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: fast
_YAML_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


class YMap(dict):
    """A YAML mapping (keys are strings) with the 1-based line of itself and of each key."""

    __slots__ = ("line", "key_lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}


class YSeq(list):
    """A YAML sequence with the 1-based line of itself and of each item."""

    __slots__ = ("line", "item_lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


def line_at(text: str, offset: int) -> int:
    """The 1-based line of the character at ``offset`` of ``text``."""
    return text.count("\n", 0, max(0, offset)) + 1


class _MapFrame:
    """A mapping being filled from events: alternately a key, then its value."""

    __slots__ = ("container", "key", "key_line", "expecting_key", "skip_value")

    def __init__(self, container: YMap) -> None:
        self.container = container
        self.key: str | None = None
        self.key_line = 0
        self.expecting_key = True
        self.skip_value = False  # a duplicate or invalid key: drop its value


def compose(text: str, path: Path, errors: list[DataError]) -> Any:
    """Build YMap/YSeq/str/None from the YAML event stream of ``text``.

    Working from events (not yaml.compose) keeps memory low: no node objects with marks are
    kept. Plain null scalars ('', '~', 'null') become None; every other scalar stays a string.
    Duplicate keys are reported in ``errors`` (the first value is kept).
    """
    root: Any = None
    have_root = False
    documents = 0
    stack: list[_MapFrame | YSeq] = []

    def add(value: Any, line: int) -> None:
        nonlocal root, have_root
        if not stack:
            root, have_root = value, True
            return
        frame = stack[-1]
        if isinstance(frame, YSeq):
            frame.append(value)
            frame.item_lines.append(line)
            return
        container = frame.container
        if not frame.expecting_key:
            frame.expecting_key = True
            if not frame.skip_value:
                container[frame.key] = value
                container.key_lines[frame.key] = frame.key_line  # type: ignore[index]
            return
        frame.expecting_key = False
        frame.skip_value = True
        if not isinstance(value, str):
            errors.append(
                DataError(
                    "a mapping key must be plain text",
                    path,
                    line,
                    "write keys such as 'label' or 'partOf'",
                )
            )
        elif value in container:
            errors.append(
                DataError(
                    f"duplicate key '{excerpt(value)}' "
                    f"(first at line {container.key_lines[value]})",
                    path,
                    line,
                    "YAML would silently keep only the last value: merge the values into "
                    "one list or remove one",
                )
            )
        else:
            frame.skip_value = False
        frame.key, frame.key_line = value, line

    try:
        for event in yaml.parse(text, Loader=_YAML_LOADER):
            cls = type(event)
            if cls is ScalarEvent:
                line = event.start_mark.line + 1
                value = event.value
                if not event.style and value in _YAML_NULLS:
                    value = None
                add(value, line)
            elif cls is MappingStartEvent:
                mapping = YMap(event.start_mark.line + 1)
                add(mapping, mapping.line)
                stack.append(_MapFrame(mapping))
            elif cls is SequenceStartEvent:
                sequence = YSeq(event.start_mark.line + 1)
                add(sequence, sequence.line)
                stack.append(sequence)
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                stack.pop()
            elif cls is AliasEvent:
                raise InputError(
                    f"YAML alias '*{event.anchor}' is not supported",
                    path,
                    event.start_mark.line + 1,
                    "write the value out in full",
                )
            elif cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise InputError(
                        "more than one YAML document in the file",
                        path,
                        event.start_mark.line + 1,
                        "a data file holds one document: remove the '---' separator",
                    )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{problem} ({exc.context})"
        raise InputError(
            f"YAML syntax error: {problem}",
            path,
            mark.line + 1 if mark is not None else None,
            "fix the YAML syntax",
        ) from exc
    except yaml.reader.ReaderError as exc:
        # libyaml counts bytes of the UTF-8 encoding; the pure-Python reader counts characters.
        raw = text.encode("utf-8") if _YAML_LOADER is not yaml.SafeLoader else None
        if raw is not None:
            line = raw.count(b"\n", 0, exc.position) + 1
            char = raw[exc.position : exc.position + 4].decode("utf-8", "ignore")[:1]
        else:
            line = line_at(text, exc.position)
            char = text[exc.position : exc.position + 1]
        what = f"the character U+{ord(char):04X}" if char else "the character"
        raise InputError(f"YAML syntax error: {exc.reason}", path, line, f"remove {what}") from exc
    except yaml.YAMLError as exc:  # any other libyaml complaint
        raise InputError(
            f"YAML error: {first_line(exc)}", path, None, "fix the YAML syntax"
        ) from exc
    if not have_root:
        raise InputError(
            "empty file",
            path,
            None,
            'write a mapping with "@context": context.jsonld and "@graph": [...] or delete it',
        )
    return root


def describe(value: Any) -> str:
    """How a message names a value of the wrong kind."""
    if isinstance(value, YMap):
        return "a mapping"
    if isinstance(value, YSeq):
        return "a list"
    if value is None:
        return "nothing"
    return f"the text '{excerpt(value)}'"
