"""Big lists: counts that stop early, searches and filters that the indexes serve."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, text

from tests.conftest import login
from tests.factories import make_olt, make_user
from webapp.extensions import db
from webapp.models import Execution, Onu
from webapp.models.base import utcnow

SHOWN = re.compile(r">List \(([^)]*)\)<")


@pytest.fixture
def noc(app, client):
    make_user("noc")
    login(client, "noc")


def _view(app, endpoint: str):
    return next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)


def _onus(olt, n: int, start: int = 0, vendor: str = "HWTC") -> None:
    db.session.execute(
        insert(Onu),
        [
            {
                "olt_id": olt.id,
                "position": f"0/1/{i // 128}:{i % 128}",
                "raw_index": str(4194312192 + i),
                "slot": 1,
                "port": i // 128,
                "onu_id": i % 128,
                "serial": f"{vendor}{i:08X}",
                "description": f"Customer {i} - {'Calle Mayor' if i % 10 == 0 else 'Av. Sol'} {i}",
                "state_label": "online" if i % 4 else "LOS",
                "present": True,
            }
            for i in range(start, start + n)
        ],
    )
    db.session.commit()


def _shown(client, url: str) -> tuple[str, str]:
    page = client.get(url)
    assert page.status_code == 200, url
    found = SHOWN.search(page.text)
    return (found.group(1) if found else ""), page.text


def test_counts_exact_while_cheap_then_a_lower_bound_then_the_estimate(app, client, noc):
    view = _view(app, "onu")
    view.count_cap, view.estimate_above = 30, 100  # this app's view only
    olt_a, olt_b = make_olt(None, "olt-a"), make_olt(None, "olt-b")
    _onus(olt_a, 100)
    _onus(olt_b, 20, start=100, vendor="ZTEG")
    assert _shown(client, "/admin/onu/?flt0_olt_equals=olt-b")[0] == "20"  # exact
    assert _shown(client, "/admin/onu/?search=ZTEG")[0] == "20"
    count, page = _shown(client, "/admin/onu/?search=HWTC")  # 100 match: at least 30
    assert count == "30+"
    assert "HWTC00000000" in page and "ZTEG" not in page
    assert _shown(client, "/admin/onu/?search=HWTC&page=1")[0] == "80+"  # 30 past page 2
    assert _shown(client, "/admin/onu/?flt0_state_label_equals=LOS")[0] == "30"  # exact
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE onus"))  # what autovacuum does: reltuples = 120
        db.session.commit()
        assert _shown(client, "/admin/onu/")[0] == "about 120"
    else:
        assert _shown(client, "/admin/onu/")[0] == "120"  # SQLite: no estimate, exact
    view.estimate_above = 1000
    assert _shown(client, "/admin/onu/")[0] == "120"  # a small table: exact everywhere


def test_search_finds_onus_by_serial_and_description(app, client, noc):
    _onus(make_olt(None, "olt-a"), 40)
    _onus(make_olt(None, "olt-b"), 5, start=40, vendor="ZTEG")
    for term, expected in (
        ("0000001", {f"HWTC{i:08X}" for i in range(16, 32)} | {"HWTC00000001"}),
        ("zteg00000029", {"ZTEG00000029"}),  # any case
        ("^ZTEG0000002", {f"ZTEG{i:08X}" for i in range(40, 45)}),
        ("=hwtc00000003", {"HWTC00000003"}),
        ("mayor", {"HWTC00000000", "HWTC0000000A", "HWTC00000014", "HWTC0000001E", "ZTEG00000028"}),
        ("Mayor 30", {"HWTC0000001E"}),  # both words, anywhere
    ):
        page = client.get("/admin/onu/", query_string={"search": term})
        assert set(re.findall(r"(?:HWTC|ZTEG)[0-9A-F]{8}", page.text)) == expected, term


def _plan(app, endpoint: str, search=None, filters=None, off=("seqscan",)) -> str:
    """PostgreSQL's plan for the list's page query with some scans off (a tiny table is read
    whole otherwise): whether an index can serve it."""
    view = _view(app, endpoint)
    _count, query = view.get_list(0, None, False, search, filters or [], execute=False)
    compiled = query.statement.compile(dialect=db.engine.dialect)
    conn = db.session.connection()
    for scan in off:
        conn.exec_driver_sql(f"SET LOCAL enable_{scan} = off")
    rows = conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars().all()
    db.session.rollback()
    return "\n".join(rows)


def test_the_indexes_serve_the_lists_on_postgresql(app, client, noc):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_trgm and the planner's choices are PostgreSQL's")
    _onus(make_olt(None, "olt-a"), 50)
    with app.test_request_context():
        # Flask-Admin's CAST(column AS VARCHAR) ILIKE '%term%' on every column: one GIN index
        search = _plan(app, "onu", search="HWTC0001", off=("seqscan", "indexscan"))
        assert "ix_onus_search_trgm" in search
        view = _view(app, "execution")
        olt = next(i for i, f in enumerate(view._filters) if f.column.key == "olt_name")
        by_olt = _plan(app, "execution", filters=[(olt, "OLT", "olt-a")])
        assert "ix_executions_olt_name_created" in by_olt
        assert "ix_executions_created" in _plan(app, "execution")


def test_executions_newest_first_and_equals_is_the_first_text_filter(app, client, noc):
    now = utcnow()
    for n, created in enumerate((now - timedelta(days=1), now, now, now - timedelta(hours=1))):
        db.session.add(Execution(job_name=f"job-{n}", olt_name="olt-a", created_at=created))
    db.session.commit()
    page = client.get("/admin/execution/").text
    assert re.findall(r"job-\d", page)[:4] == ["job-2", "job-1", "job-3", "job-0"]
    view = _view(app, "execution")
    first = {}
    for flt in view._filters:
        first.setdefault(getattr(flt.column, "key", None), type(flt).__name__)
    assert first["olt_name"] == first["job_name"] == "FilterEqual"


def test_home_counts_onus_per_olt_once_a_minute(app, client, noc):
    olt = make_olt(None, "olt-a")
    _onus(olt, 3)
    assert re.search(r"<td>olt-a</td><td>3</td><td>0</td>", client.get("/admin/").text)
    _onus(olt, 2, start=3)
    assert re.search(r"<td>olt-a</td><td>3</td><td>0</td>", client.get("/admin/").text)
    app.extensions["oltwatch_home_onus"]["until"] = 0  # a minute later
    assert re.search(r"<td>olt-a</td><td>5</td><td>0</td>", client.get("/admin/").text)
