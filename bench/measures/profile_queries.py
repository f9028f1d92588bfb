"""SQL queries per profile page for authors with 1, 100 and 1,000 works: must be equal."""

from __future__ import annotations

from bench.core import Context, Row
from bench.measures._pages import captured, client


class ProfileQueries:
    name = "profile_queries"
    order = 20

    def run(self, ctx: Context) -> list[Row]:
        rows = []
        for who in ("anonymous", "logged in"):
            c = client(logged_in=who == "logged in")
            counts = {}
            for key in ("works_1", "works_100", "works_1000"):
                author = ctx.subjects[key]
                status, sql = captured(c, author.get_absolute_url())
                assert status == 200, (author, status)
                counts[key] = (author.works_count, len(sql))
            reference = counts["works_1"][1]
            equal = len({n for _, n in counts.values()}) == 1
            for works, n in counts.values():
                rows.append(
                    Row(self.name, f"author with {works:,} works, {who}", n, "queries",
                        reference=reference, reference_label="1-work author",
                        goal="equal", ok=equal)
                )  # fmt: skip
        return rows


MEASURE = ProfileQueries()
