"""Load the YAML-LD data files: check them against the shared context and the ontology, then
turn them into RDF triples with pyoxigraph's JSON-LD processor.

Every ``data/**/*.yaml`` file is a mapping ``{"@context": context.jsonld, "@graph": [...]}``.
Scalars are kept as strings (no YAML implicit typing: the context's datatypes type them) and
every mapping and sequence remembers its line numbers, so errors point at ``file:line``.
Content problems are collected over all files and raised together as DataErrors.
Nothing here ever touches the network: remote contexts are refused, never fetched.

One module per step, each importing only those before it: ``yaml_positions`` (YAML with line
numbers), ``files`` (which files are read, and the guards on them), ``context`` (the JSON-LD
context), ``lexical`` (the lexical forms of typed literals), ``records`` (checking the records,
``check_data``) and ``triples`` (records to triples, ``load_data``). This module only re-exports
what the rest of kgbuild uses.
"""

from kgbuild.load.context import Context, PropertyTerm, load_context
from kgbuild.load.files import (
    CONTEXT_FILE,
    MAX_FILE_BYTES,
    MAX_TOTAL_BYTES,
    data_files,
    read_records,
)
from kgbuild.load.records import CheckedData, check_data
from kgbuild.load.triples import LoadedData, Triple, load_data, to_quads, to_triples

__all__ = [
    "CONTEXT_FILE",
    "MAX_FILE_BYTES",
    "MAX_TOTAL_BYTES",
    "Context",
    "CheckedData",
    "LoadedData",
    "PropertyTerm",
    "Triple",
    "check_data",
    "data_files",
    "load_context",
    "load_data",
    "read_records",
    "to_quads",
    "to_triples",
]
