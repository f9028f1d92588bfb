"""The one loader every source shares: parsed records in, set-based upserts out.

Why a chunk at a time: each chunk costs a fixed number of queries whatever its size (existing
rows fetched with one query per entity kind, the keys as one array: bzpeer.lib.lookups), and
memory holds one chunk whatever the file's size. The modules, in the order a chunk runs them:

- institutions, venues_topics: the few rows a chunk names, by the ORM on every database;
- authors: persistent ids first, then name-only authors by the evidence of their bylines;
- works: works by persistent id, else normalised title and year; their topic lists;
- bylines: authorships rewritten when they differ, admins' AuthorshipOverride decisions
  winning over the file, then missing affiliations filled;
- backends: how rows reach the tables, ORM or COPY, chosen once per import;
- chunk: the ChunkLoader that runs a chunk and keeps its change log.

Provenance and undo: rows the loader creates carry `import_batch` and `source_record`.
With a batch, every write is also recorded as works.BatchChange rows, built from the same
in-memory diff the upserts use (no extra query per row) and written once per chunk:
  created               model, pk                        → undo deletes the row
  updated               model, pk, {attname: previous}   → only the fields that changed
  authorships_replaced  work pk, previous byline rows    → rows with pks and institution
                                                           links, as read for the diff
  topics_replaced       work pk, previous WorkTopic rows
works.imports.undo reads them.
"""

from .authors import assign_slugs
from .chunk import ENTITY_KINDS, ChunkLoader, LoadCounts, load_records

__all__ = ["ENTITY_KINDS", "ChunkLoader", "LoadCounts", "assign_slugs", "load_records"]
