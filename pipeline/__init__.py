"""ISO 37120 city indicator pipeline: catalogue → ingest → validate/calculate → publish/dossier."""

__version__ = "0.1.0"
