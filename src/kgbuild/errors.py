"""Errors that the CLI reports as one line each, with an exit code.

Stages raise these and never print or exit; the CLI turns them into messages such as
``data/places.yaml:12: unknown key 'lable' in node 'place/x'; the context does not define it``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def display_path(path: str | os.PathLike[str]) -> str:
    """``path`` relative to the working directory when it lies below it, else as given."""
    p = Path(path)
    try:
        # The folder resolved, not the file: a symbolic link is named, not what it points at.
        return (p.parent.resolve() / p.name).relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return p.as_posix()


# Input quoted in an error (a YAML value, a parameter, a file's text, an IRI) is cut to this
# many characters: an error line must not carry a whole file or a huge value.
EXCERPT_CHARS = 60
# No error message is longer than this, whatever it quotes.
MAX_MESSAGE_CHARS = 20 * EXCERPT_CHARS


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """``value`` as text for quoting in an error: at most ``limit`` characters, control
    characters and line breaks escaped (one line, nothing for a terminal to act on), and the
    full length said when it was cut."""
    text = str(value)
    cut = text[:limit]
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)
    if len(text) > limit:
        shown += f"… ({len(text):,} characters)"
    return shown


def first_line(exc: BaseException) -> str:
    """The first line of what an exception says (its type's name when it says nothing): a
    library's message, cut to fit a one-line error (libraries quote the input they choke on)."""
    return excerpt((str(exc).strip().splitlines() or [type(exc).__name__])[0], 4 * EXCERPT_CHARS)


class KgbuildError(Exception):
    """An error with a location (file and 1-based line), a description and a hint."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.hint = hint

    @property
    def location(self) -> str:
        if self.path is None:
            return ""
        where = display_path(self.path)
        return f"{where}:{self.line}" if self.line is not None else where

    def __str__(self) -> str:
        text = self.message
        if len(text) > MAX_MESSAGE_CHARS:  # a last guard: values are quoted as excerpts
            text = f"{text[:MAX_MESSAGE_CHARS]}… ({len(text):,} characters)"
        if self.hint:
            text = f"{text}; {self.hint}"
        if self.location:
            text = f"{self.location}: {text}"
        # One error, one line: a stray newline (from a quoted value) must not split it.
        return " ".join(text.splitlines())

    def lines(self) -> list[str]:
        """The lines the CLI prints for this error."""
        return [str(self)]


class InputError(KgbuildError):
    """Bad usage or unreadable input: missing directory, bad encoding, YAML/Turtle syntax..."""

    exit_code = 2


class DataError(KgbuildError):
    """The data are readable but fail a check."""

    exit_code = 1


class DataErrors(KgbuildError):
    """Several data errors found in one pass, reported together."""

    exit_code = 1

    def __init__(self, errors: Iterable[DataError]) -> None:
        self.errors = list(errors)
        n = len(self.errors)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} found in the data")

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        return [str(e) for e in self.errors]
