"""Which files are read, and the guards on them: the data files under the data directory
(stray files and symbolic links that lead out of it refused), the size limits, reading one
file as UTF-8 YAML, and the top level every data file has ("@context" and "@graph").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kgbuild.errors import EXCERPT_CHARS, DataError, DataErrors, InputError, excerpt
from kgbuild.load.yaml_positions import YMap, YSeq, compose, describe

CONTEXT_FILE = "context.jsonld"
# Larger files are refused up front, before anything is read. A whole build takes about 4 s of
# CPU and 130 MB of memory per MiB of YAML (benchmarks/bench.py), so these keep a build within
# about two minutes and five gigabytes; one file is read whole into memory, hence its own limit.
MAX_FILE_BYTES = 8 * 1024 * 1024  # per data file
MAX_TOTAL_BYTES = 40 * 1024 * 1024  # all data files together: a hundred copies of the data fit


def data_files(data_dir: Path) -> list[Path]:
    """The data files under ``data_dir`` (``**/*.yaml``, hidden ones left out), sorted.

    InputError for anything else that would be skipped in silence or read from elsewhere: a
    symbolic link that leads out of ``data_dir`` or nowhere (refused before it is read), a
    ``.yml``, ``.json`` or other stray file."""
    real_dir = data_dir.resolve()
    files = []
    for root, dirs, names in os.walk(data_dir):  # symlinked directories are not entered
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for entry in [*(here / d for d in dirs), *(here / n for n in sorted(names))]:
            if entry.name.startswith(".") or entry.name.endswith("~"):
                continue  # hidden files and editor backups
            check_inside(entry, data_dir, real_dir)
            if entry.is_dir():
                continue
            if not entry.is_file():  # a FIFO or device would block or never end
                raise InputError("not a regular file", entry, None, "remove it")
            rel = entry.relative_to(data_dir).as_posix()
            if entry.suffix == ".yaml":
                files.append(entry)
            elif rel != CONTEXT_FILE:
                _stray_file(entry)
    # A link to a data file of the directory is that file: read it once, by its own name.
    real_files = {f.resolve() for f in files if not f.is_symlink()}
    files = [f for f in files if not (f.is_symlink() and f.resolve() in real_files)]
    return sorted(files, key=lambda p: p.relative_to(data_dir).as_posix())


# Paths are quoted longer than values: the user needs all of one to find it.
_PATH_CHARS = 4 * EXCERPT_CHARS


def check_inside(path: Path, data_dir: Path, real_dir: Path) -> None:
    """Refuse a symbolic link that leads nowhere or out of the data directory, without reading
    what it points at (a link to /etc/passwd must not end up quoted in an error)."""
    if not path.is_symlink():
        return
    target = os.readlink(path)
    real = path.resolve()
    if not real.exists():
        raise InputError(
            f"broken symbolic link to '{excerpt(target, _PATH_CHARS)}'",
            path,
            None,
            "remove the link or make it point at a file in the data directory",
        )
    if not real.is_relative_to(real_dir):
        raise InputError(
            f"symbolic link to '{excerpt(real.as_posix(), _PATH_CHARS)}', outside the data "
            f"directory '{excerpt(data_dir.as_posix(), _PATH_CHARS)}'",
            path,
            None,
            "kgbuild reads data files only inside the data directory: copy the file in "
            "or remove the link",
        )


def _stray_file(path: Path) -> None:
    if path.suffix == ".yml":
        raise InputError("kgbuild reads only *.yaml files", path, None, "rename it to .yaml")
    raise InputError(
        f"unexpected file: the data directory holds only *.yaml data files and {CONTEXT_FILE}",
        path,
        None,
        "rewrite a JSON or JSON-LD file as a .yaml data file, or move the file out of the "
        "data directory (or hide it with a leading '.')",
    )


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def _too_big(path: Path, size: int) -> InputError:
    return InputError(
        f"file has {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes per data file",
        path,
        None,
        f"split it into several .yaml files of at most {_size(MAX_FILE_BYTES)} each",
    )


def check_sizes(files: list[Path], data_dir: Path) -> None:
    """Refuse too large files, and too much data in all, before reading any of it."""
    total = 0
    for path in files:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror}", path) from exc
        if size > MAX_FILE_BYTES:
            raise _too_big(path, size)
        total += size
    if total > MAX_TOTAL_BYTES:
        raise InputError(
            f"the data files in '{data_dir.as_posix()}' have {total:,} bytes in all, over the "
            f"limit of {MAX_TOTAL_BYTES:,} bytes",
            hint=f"keep the data under {_size(MAX_TOTAL_BYTES)}: move some files to another "
            "--data directory and build it separately",
        )


def read_yaml(path: Path, errors: list[DataError]) -> Any:
    """One data file composed with its line numbers; duplicate keys are added to ``errors``."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:  # it may have grown since check_sizes
            raise _too_big(path, size)
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", path) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
            path,
            data.count(b"\n", 0, exc.start) + 1,
            "save it as UTF-8",
        ) from exc
    del data
    return compose(text, path, errors)


def read_records(path: Path) -> YSeq:
    """The records (``@graph``) of one data file, unchecked; InputError or DataErrors when the
    file cannot be read as a data file."""
    errors: list[DataError] = []
    records = check_top_level(read_yaml(path, errors), path)
    if errors:
        raise DataErrors(errors)
    return records


def check_top_level(doc: Any, path: Path) -> YSeq:
    """The ``@graph`` of a data file whose top level is as every data file's must be."""
    hint = 'a data file is a mapping with "@context": context.jsonld and "@graph": [nodes]'
    if not isinstance(doc, YMap):
        raise InputError(f"the file must be a mapping, found {describe(doc)}", path, 1, hint)
    for key in doc:
        if key not in ("@context", "@graph"):
            raise InputError(
                f"unexpected top-level key '{excerpt(key)}'", path, doc.key_lines[key], hint
            )
    if "@context" not in doc:
        raise InputError('missing "@context"', path, doc.line, hint)
    context, context_line = doc["@context"], doc.key_lines["@context"]
    if isinstance(context, str) and context.lower().startswith(("http://", "https://")):
        raise InputError(
            f"remote @context '{excerpt(context)}' refused: kgbuild never fetches contexts over "
            "the network",
            path,
            context_line,
            f'write "@context": {CONTEXT_FILE} to use the shared context in the data directory',
        )
    if context != CONTEXT_FILE:
        what = (
            "an inline @context"
            if isinstance(context, YMap | YSeq)
            else f"@context '{excerpt(context)}'"
        )
        raise InputError(
            f"{what} is not allowed: all data files share one context",
            path,
            context_line,
            f'write "@context": {CONTEXT_FILE}',
        )
    if "@graph" not in doc:
        raise InputError('missing "@graph"', path, doc.line, hint)
    graph = doc["@graph"]
    if not isinstance(graph, YSeq):
        raise InputError(
            f'"@graph" must be a list of node objects, found {describe(graph)}',
            path,
            doc.key_lines["@graph"],
            hint,
        )
    return graph
