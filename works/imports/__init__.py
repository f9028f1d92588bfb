"""Imports of scholarly records: a file in, works, authors and their links upserted.

registry    the formats (a typed Importer per source) and detect: which one a file is
sources/    one module per format: a streaming reader and a pure parse(raw) → record
readers     the streaming readers the sources share; records: what a parse returns
loader/     records → rows, the same decisions on every database (ORM or COPY)
run         works_import: a file, one transaction; batches: the admin's uploads run by a
            worker; duplicates: likely duplicate works after an import; undo: a batch
            rolled back
keyword_topics  arXiv classes for works whose source gives no topics
"""
