"""The names of the files of dist/, in one place: the build writes them, every command reads
them by these names. A leaf module, so that the CLI can name them without loading a stage."""

from __future__ import annotations

__all__ = [
    "CLOSURE_FILE",
    "EXPORT_FORMATS",
    "INDEX_FILE",
    "INFERRED_FILE",
    "JSONLD_FILE",
    "KG_FILE",
    "MANIFEST_FILE",
    "NTRIPLES_FILE",
    "STORE_DIR",
    "TRIG_FILE",
    "VOID_FILE",
]

KG_FILE = "kg.ttl"
INFERRED_FILE = "inferred.ttl"
CLOSURE_FILE = "kg-closure.ttl"
NTRIPLES_FILE = "kg.nt"
JSONLD_FILE = "kg.jsonld"
TRIG_FILE = "kg.trig"
VOID_FILE = "void.ttl"
MANIFEST_FILE = "manifest.json"
INDEX_FILE = "index.sqlite"
STORE_DIR = "store"

# Format name -> file name, in the order the build writes them.
EXPORT_FORMATS: dict[str, str] = {
    "turtle": KG_FILE,
    "ntriples": NTRIPLES_FILE,
    "jsonld": JSONLD_FILE,
    "trig": TRIG_FILE,
}
