"""arXiv OAI-PMH XML (`arXiv` and `arXivRaw` metadata formats): the importer interface.

The reader and parser live in `works.importers.arxiv` beside the snapshot format they share
their record building with; this module gives them the read/parse/record_label/FORMAT
names every importer in `works.services.IMPORTERS` has. Rows it writes have source "arxiv".
"""

from __future__ import annotations

from .arxiv import FORMAT, oai_record_label, parse_oai, read_oai

read = read_oai
parse = parse_oai
record_label = oai_record_label

__all__ = ["FORMAT", "parse", "read", "record_label"]
