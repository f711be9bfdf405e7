"""The catalogue stage: indicator definitions read from YAML into typed models (no other I/O)."""

from pipeline.catalogue.loader import Catalogue, load_catalogue

__all__ = ["Catalogue", "load_catalogue"]
