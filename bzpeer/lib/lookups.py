"""`field__any=values`: `field = ANY(%s)` with the values as one array parameter.

The loader looks rows up by thousands of keys a chunk. As an IN list each value is a
placeholder that Django prepares, compiles and psycopg splits one by one, which costs more
than running the query; one array parameter costs nothing per value. Plain values only (no
expressions); on databases without arrays (SQLite) it is the `in` lookup. `sql_any` is the
same for hand-written SQL.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Field, ForeignObject
from django.db.models.lookups import In


class AnyOf(In):
    lookup_name = "any"

    def get_prep_lookup(self):
        prepare = self.lhs.output_field.get_prep_value
        return [prepare(value) for value in self.rhs if value is not None]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection, prepared=True) for v in self.rhs]
        return f"{lhs} = ANY(%s::{field.cast_db_type(connection)}[])", (*lhs_params, values)


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # related fields keep lookups of their own


def sql_any(column: str, values: Sequence) -> tuple[str, list]:
    """The same for raw SQL: `column = ANY(%s)` and its one parameter on PostgreSQL (one
    plan whatever the number of values), an IN list elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
