"""The profiles app's admin, one module per subject; Django's autodiscovery imports this."""

from . import authors, claims, curation  # noqa: F401  (each registers its ModelAdmins)
