"""Row counts for big lists: exact while cheap, else a lower bound or PostgreSQL's estimate."""

from __future__ import annotations

from flask_babel import format_number
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import func, select, text

from webapp.extensions import db


class ListCount(int):
    """A list's row count as its tab shows it: exact, a lower bound ("1,000+") or an estimate."""

    def __new__(cls, value: int, kind: str = "exact"):
        count = super().__new__(cls, value)
        count.kind = kind
        return count

    def __str__(self) -> str:
        if self.kind == "at_least":
            return _("%(n)s+", n=format_number(int(self)))
        if self.kind == "about":
            return _("about %(n)s", n=format_number(int(self)))
        return format_number(int(self))

    def __html__(self) -> str:
        return str(escape(str(self)))


class CheapCount:
    """List counts that never read a big table whole (issue 11: a million ONUs, executions).

    Flask-Admin counts every matching row for the pager on every page: at a million rows a
    count(*) costs more than the page. Here a search or filter is counted exactly up to
    ``count_cap`` rows past the page ("1,000+" beyond: reading stops there; past a thousand
    rows a NOC narrows the search rather than reads on, and the dashboard counts); the whole
    table is PostgreSQL's own row estimate (pg_class.reltuples, kept by autovacuum) once it
    is past ``estimate_above`` rows ("about 1,000,000"), else an exact count. For views whose
    get_query() is the whole table.
    """

    count_cap = 1_000
    estimate_above = 100_000

    def get_count_query(self):
        return None  # Flask-Admin's count(*) off: get_list() counts

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """Flask-Admin's page of rows, with a count that stops early (see the class)."""
        _none, query = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=False, page_size=page_size
        )
        if (search or "").strip() or filters:
            skip = (page or 0) * (self.page_size if page_size is None else page_size)
            count = self._count_up_to(query, skip + self.count_cap)
        else:
            count = self._table_count()
        return count, (query.all() if execute else query)

    def _count_up_to(self, query, cap: int) -> ListCount:
        pk = self.model.__mapper__.primary_key[0]
        rows = (
            query.limit(None)
            .offset(None)
            .order_by(None)
            .enable_eagerloads(False)
            .with_entities(pk)
            .limit(cap + 1)
            .subquery()
        )
        n = db.session.scalar(select(func.count()).select_from(rows))
        return ListCount(cap, "at_least") if n > cap else ListCount(n)

    def _table_count(self) -> ListCount:
        table = self.model.__table__
        if db.session.get_bind().dialect.name == "postgresql":
            estimate = db.session.scalar(
                text("SELECT reltuples::bigint FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                {"t": table.name},
            )
            if estimate is not None and estimate > self.estimate_above:
                return ListCount(round(estimate, 2 - len(str(estimate))), "about")
        return ListCount(db.session.scalar(select(func.count()).select_from(table)))
