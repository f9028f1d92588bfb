"""Admin for the works app; each module registers its models when imported here."""

from . import duplicates, imports, records, undo

__all__ = ["duplicates", "imports", "records", "undo"]
