"""kgbuild: build a knowledge graph from an OWL ontology and YAML-LD data."""

__version__ = "0.1.0"
