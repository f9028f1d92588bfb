"""PostgreSQL write primitives for the loader's fast path: COPY instead of bulk_create.

works.imports.loader decides what to write (identity, diffs, admin decisions, the undo log) the
same way on every database; on PostgreSQL (settings.IMPORT_COPY) its heavy writes come
here:
- new rows (works, authors, authorships) take their pks from the table's own sequence in
  one query, in list order (the pks bulk_create would have given them), and are COPY'd
  straight into the table; rows nothing else points to (institution links, work topics,
  the undo log) are COPY'd without pks, which the identity default gives in row order;
- changed rows are COPY'd into a temporary staging table (pk + the changed columns, the
  table's own types) and written with one `UPDATE … FROM staging`;
- bylines are deleted set-based (works.imports.undo.rows_delete).
Values are the instances' attributes as the ORM would send them: JSON fields through the
field's encoder, auto_now / auto_now_add fields stamped once per statement.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from operator import attrgetter

from django.db import connection
from django.db.models import JSONField, Model
from django.utils import timezone


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def pks_take(model: type[Model], n: int) -> list[int]:
    """n new pks from the table's sequence, ascending (one query)."""
    if n == 0:
        return []
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(s) FROM CAST(pg_get_serial_sequence(%s, %s) AS regclass) s, "
            "generate_series(1, %s)",
            [meta.db_table, meta.pk.column, n],
        )
        return sorted(pk for (pk,) in cursor.fetchall())


def _adapter(field):
    if isinstance(field, JSONField):
        encoder = field.encoder
        return lambda value: None if value is None else json.dumps(value, cls=encoder)
    return None


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """COPY rows (tuples in `columns` order) into a table, in text format.

    (Django's debug cursor logs COPY like any statement: CaptureQueriesContext sees it.)
    """
    sql = f"COPY {_quoted(table)} ({', '.join(_quoted(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        write = copy.write_row
        for row in rows:
            write(row)


def instances_insert(
    model: type[Model], instances: Sequence[Model], *, extra: dict[str, Sequence] | None = None
) -> None:
    """Inserts new instances with COPY and sets their pks (what bulk_create does).

    `extra`: columns the model does not declare, {column: one value per instance}.
    """
    if not instances:
        return
    now = timezone.now()
    fields = model._meta.concrete_fields
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for instance in instances:
                setattr(instance, field.attname, now)
    for instance, pk in zip(instances, pks_take(model, len(instances)), strict=True):
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = connection.alias
    columns = [f.column for f in fields]
    rows = _values(instances, fields)
    if extra:
        columns += list(extra)
        rows = (
            (*row, *more) for row, more in zip(rows, zip(*extra.values(), strict=True), strict=True)
        )
    copy_rows(model._meta.db_table, columns, rows)


def _values(instances: Sequence[Model], fields) -> Iterable[Sequence]:
    get = attrgetter(*[f.attname for f in fields])
    adapters = [(i, adapt) for i, f in enumerate(fields) if (adapt := _adapter(f))]
    if len(fields) == 1:
        return ((get(instance),) for instance in instances)
    if not adapters:
        return map(get, instances)
    return (_adapted(get(instance), adapters) for instance in instances)


def _adapted(values: tuple, adapters) -> list:
    row = list(values)
    for i, adapt in adapters:
        row[i] = adapt(row[i])
    return row


def instances_update(model: type[Model], instances: Sequence[Model], names: Iterable[str]) -> None:
    """Writes the named fields of existing instances: COPY to staging, one UPDATE … FROM."""
    if not instances:
        return
    meta = model._meta
    fields = [meta.pk] + [meta.get_field(n) for n in sorted(set(names))]
    columns = [f.column for f in fields]
    table, stage = _quoted(meta.db_table), _quoted(f"_bz_stage_{meta.db_table}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {stage} AS SELECT {', '.join(map(_quoted, columns))} "
            f"FROM {table} WITH NO DATA"
        )
        copy_rows(f"_bz_stage_{meta.db_table}", columns, _values(instances, fields))
        pk = _quoted(meta.pk.column)
        assignments = ", ".join(f"{_quoted(c)} = s.{_quoted(c)}" for c in columns[1:])
        cursor.execute(f"UPDATE {table} t SET {assignments} FROM {stage} s WHERE t.{pk} = s.{pk}")
        cursor.execute(f"DROP TABLE {stage}")


def affiliations_fill(author_pks: Iterable[int]) -> list[int]:
    """Authors among author_pks with no last known institution get the first institution of
    their latest authorship (same order as the ORM path: works.imports.loader.backends);
    returns their pks, ascending. One statement."""
    pks = sorted(author_pks)
    if not pks:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE profiles_author a SET last_known_institution_id = l.institution_id
            FROM (
                SELECT DISTINCT ON (s.author_id) s.author_id, t.institution_id
                FROM unnest(%s::bigint[]) AS x (id)
                JOIN profiles_author p ON p.id = x.id
                JOIN works_authorship s ON s.author_id = p.id
                JOIN works_authorship_institutions t ON t.authorship_id = s.id
                JOIN works_work w ON w.id = s.work_id
                WHERE p.last_known_institution_id IS NULL
                ORDER BY s.author_id, w.year DESC NULLS LAST, s.position, s.work_id DESC, t.id
            ) l
            WHERE a.id = l.author_id
            RETURNING a.id
            """,
            [pks],
        )
        return sorted(pk for (pk,) in cursor.fetchall())
