"""The admin pages read like a NOC's tool: figures, links, human labels, coloured signals."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from jobs.olts import poll_now
from tests.conftest import login
from tests.factories import make_olt, make_user
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Execution


@pytest.fixture
def noc(app, client):
    make_user("noc")
    login(client, "noc")


def _flat(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def _polled(app, lab, name="huawei-a") -> Execution:
    olt = make_olt(lab, name)
    poll_now(olt, trigger="cli", label="test")
    work(app)
    return db.session.scalars(select(Execution).where(Execution.olt_id == olt.id)).one()


def test_execution_details_show_the_summary_as_figures_with_links(app, client, noc, lab):
    ex = _polled(app, lab)
    assert ex.status == "SUCCESS", ex.error
    found = ex.summary["found"]
    page = client.get(f"/admin/execution/details/?id={ex.id}")
    assert page.status_code == 200
    html = page.text
    # the figures, each with its label; the raw JSON folded under a <details>
    assert re.search(rf'badge-primary">{found}</span></div>\s*<div[^>]*>ONUs found<', html)
    assert "By state" in html and "SNMP " in html and "database " in html
    assert "Table used" in html and ex.summary["presence_table"] in html
    assert "<details" in html and "Raw JSON" in html and "&#34;found&#34;" in html
    # job and OLT are links to their pages; times name their zone
    assert f'href="/admin/snmpjob/details/?id={ex.job_id}"' in html
    assert f'href="/admin/olt/details/?id={ex.olt_id}">huawei-a</a>' in html
    assert "America/Lima" in html
    for raw in ("Rq Job Id", "Olt Name", "Job Name", "Duration Ms"):
        assert raw not in html


def test_execution_list_has_onus_found_links_and_the_zone(app, client, noc, lab):
    ex = _polled(app, lab)
    html = _flat(client.get("/admin/execution/").text)
    assert "> ONUs found <" in html
    assert f'<td class="col-onus_found"> {ex.summary["found"]} </td>' in html
    assert f'href="/admin/olt/details/?id={ex.olt_id}">huawei-a</a>' in html
    assert "Times in America/Lima" in html


def _po_msgids() -> set[str]:
    from babel.messages.pofile import read_po

    with open("webapp/translations/es/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string}


def _labels_of(view) -> list[tuple[str, object]]:
    """Every label the view shows: list and details headers, filter names, form labels."""
    out = [(f"list {n}", label) for n, label in view.get_list_columns()]
    out += [(f"details {n}", label) for n, label in view.get_details_columns()]
    out += [(f"filter {f.column}", f.name) for f in view._filters or []]
    if view.can_create:
        out += [(f"form {f.name}", f.label.text) for f in view.create_form() if f.label.text]
    return out


def test_every_admin_label_is_marked_and_has_a_spanish_entry(app):
    from flask_babel.speaklater import LazyString

    msgids = _po_msgids()
    bad = []
    with app.test_request_context("/admin/"):
        for view in app.extensions["admin"][0]._views:
            if not hasattr(view, "get_list_columns"):
                continue
            for where, label in _labels_of(view):
                if not isinstance(label, LazyString):
                    bad.append(f"{view.endpoint} {where}: {label!r} is not marked")
                elif label._args[0] not in msgids:
                    bad.append(f"{view.endpoint} {where}: {label._args[0]!r} has no Spanish")
    assert not bad, "\n".join(bad)


def test_relation_selects_have_a_readable_empty_choice(app, client, noc):
    for url in ("/admin/oid/new/", "/admin/snmpjob/new/", "/admin/statelabel/new/"):
        html = client.get(url).text
        assert ">__None<" not in html, url
        assert 'value="__None">(none)</option>' in html, url


def _onu(olt, position, rx=None, state=1, present=True, slot=1, port=1):
    from webapp.models import Onu

    onu = Onu(olt_id=olt.id, raw_index=position, position=position, slot=slot, port=port,
              present=present, state_value=state, rx_power_dbm=rx,
              state_label={1: "online", 2: "offline"}.get(state))  # fmt: skip
    db.session.add(onu)
    return onu


def _signal(html: str, position: str) -> str:
    """The signal class of the rx cell on the row of the ONU at this position."""
    row = _flat(html).split(f"> {position} <", 1)[1].split("</tr>", 1)[0]
    found = re.search(r'class="signal signal-([a-z]+)', row)
    return found.group(1) if found else ""


def _positions(html: str) -> set[str]:
    return set(re.findall(r'<td class="col-position">\s*([^<\s]+)\s*</td>', html))


def test_onu_rx_is_coloured_by_each_olts_alarm_thresholds(app, client, noc):
    from webapp.models import AlarmRule

    a, b = make_olt(None, "olt-a"), make_olt(None, "olt-b")
    _onu(a, "a-crit", rx=-31.0), _onu(a, "a-warn", rx=-29.5), _onu(a, "a-ok", rx=-22.0)
    _onu(a, "a-hot", rx=-7.0), _onu(b, "b-warn", rx=-22.0)
    db.session.add(AlarmRule(olt_id=b.id, rx_warning=-20.0))  # olt-b's own rule
    db.session.commit()
    html = client.get("/admin/onu/").text
    assert [_signal(html, p) for p in ("a-crit", "a-warn", "a-ok", "a-hot", "b-warn")] == [
        "critical", "warning", "ok", "overload", "warning"
    ]  # fmt: skip
    assert 'text-danger font-weight-bold" title="below -30.0 dBm: critical">-31.00<' in html
    details = client.get(f"/admin/onu/details/?id={_id_of('b-warn')}").text
    assert 'signal-warning text-warning font-weight-bold" title="below -20.0 dBm' in details


def _tx_signal(html: str, position: str) -> str:
    row = _flat(html).split(f"> {position} <", 1)[1].split("</tr>", 1)[0]
    found = re.search(r'class="signal signal-tx-([a-z]+)', row)
    return found.group(1) if found else ""


def test_onu_tx_is_coloured_by_the_range_of_each_olts_rules(app, client, noc):
    """G.984.2 class B+ ONUs launch +0.5 to +5 dBm: the defaults; a profile's rule (here,
    EPON-like -1 to +4) narrows or moves it for its OLTs."""
    from webapp.models import AlarmRule, Onu

    a, b = make_olt(None, "olt-a"), make_olt(None, "olt-b")
    for olt, position, tx in ((a, "a-weak", 0.2), (a, "a-ok", 2.1), (a, "a-hot", 5.6),
                              (b, "b-ok", -0.5), (b, "b-hot", 4.5)):  # fmt: skip
        _onu(olt, position, rx=-20.0).tx_power_dbm = tx
    db.session.add(AlarmRule(olt_id=b.id, tx_low=-1.0, tx_high=4.0))
    db.session.commit()
    html = client.get("/admin/onu/").text
    assert [_tx_signal(html, p) for p in ("a-weak", "a-ok", "a-hot", "b-ok", "b-hot")] == [
        "low", "ok", "high", "ok", "high"
    ]  # fmt: skip
    assert 'the ONU&#39;s laser is weak">0.20<' in html
    details = client.get(f"/admin/onu/details/?id={_id_of('b-hot')}&lang=es").text
    assert "por encima de 4.0 dBm: el láser de la ONU está demasiado fuerte" in details
    assert db.session.scalars(select(Onu.tx_power_dbm).where(Onu.position == "a-ok")).one() == 2.1


def test_an_alarm_rule_refuses_a_tx_range_upside_down(app, client, noc):
    from tests.conftest import csrf_token
    from webapp.models import AlarmRule

    page = client.get("/admin/alarmrule/new/")
    r = client.post("/admin/alarmrule/new/", data={
        "profile_key": "huawei", "tx_low": "5", "tx_high": "1",
        "csrf_token": csrf_token(page.text)})  # fmt: skip
    assert r.status_code == 200 and "The ONU tx range needs low below high." in r.text
    assert db.session.query(AlarmRule).count() == 0


def _id_of(position: str) -> int:
    from webapp.models import Onu

    return db.session.scalars(select(Onu.id).where(Onu.position == position)).one()


def test_onu_quick_filters_offline_and_low_signal_in_both_languages(app, client, noc):
    from webapp.models import AlarmRule

    a, b = make_olt(None, "olt-a"), make_olt(None, "olt-b")
    _onu(a, "a-down", state=2, rx=None), _onu(a, "a-weak", rx=-28.0), _onu(a, "a-fine", rx=-21.0)
    _onu(a, "a-gone", state=2, rx=-35.0, present=False), _onu(b, "b-weak", rx=-21.0, port=2)
    db.session.add(AlarmRule(olt_id=b.id, rx_warning=-20.0))
    db.session.commit()
    listing = client.get("/admin/onu/").text
    assert 'href="/admin/onu/?flt0_offline_equals=1"' in listing
    assert 'href="/admin/onu/?flt0_low_signal_equals=1"' in listing
    for lang in ("en", "es"):
        offline = client.get(f"/admin/onu/?lang={lang}&flt0_offline_equals=1").text
        assert _positions(offline) == {"a-down"}, lang
        low = client.get(f"/admin/onu/?lang={lang}&flt0_low_signal_equals=1").text
        assert _positions(low) == {"a-weak", "b-weak"}, lang
    assert "Desconectadas" in offline and "Señal baja" in offline
    assert "btn-warning" in client.get("/admin/onu/?lang=en&flt0_low_signal_equals=1").text


def test_onu_filters_are_pick_lists_for_state_presence_and_pon(app, client, noc):
    import json

    a = make_olt(None, "olt-a")
    _onu(a, "p1", slot=1, port=3), _onu(a, "p2", slot=2, port=0, state=2)
    db.session.commit()
    html = client.get("/admin/onu/?lang=en").text
    groups = json.loads(re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', html, re.S).group(1))
    options = {name: flts[0]["options"] for name, flts in groups.items()}
    assert ["online", "online"] in options["State"] and ["offline", "offline"] in options["State"]
    assert options["Presence"] == [["1", "present"], ["0", "absent"]]
    assert options["PON"] == [["0/1/3", "0/1/3"], ["0/2/0", "0/2/0"]]
    assert _positions(client.get("/admin/onu/?flt0_pon_equals=0/2/0").text) == {"p2"}
    assert _positions(client.get("/admin/onu/?flt0_state_label_equals=online").text) == {"p1"}
    assert _positions(client.get("/admin/onu/?flt0_presence_equals=1").text) == {"p1", "p2"}
    for raw in ("olt / Olts", "State Label", "__None"):
        assert raw not in html


class _Statements:
    """Count the SQL statements the app runs (a page's queries)."""

    def __init__(self):
        from sqlalchemy import event

        self.n, self._event = 0, event

    def _count(self, *args):
        self.n += 1

    def __enter__(self):
        self._event.listen(db.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        self._event.remove(db.engine, "before_cursor_execute", self._count)


def test_olt_list_shows_last_poll_reachability_and_onu_counts(app, client, noc, lab):
    from history.alarms import OLT_DOWN
    from webapp.models import Alarm
    from webapp.models.base import utcnow

    ex = _polled(app, lab)  # huawei-a: polled once, its ONUs stored
    quiet = make_olt(None, "never-polled")
    down = make_olt(None, "down-olt")
    db.session.add(Alarm(olt_id=down.id, kind=OLT_DOWN, severity="critical", status="active",
                         since=utcnow(), raised_at=utcnow()))  # fmt: skip
    db.session.commit()
    html = _flat(client.get("/admin/olt/").text)
    row = html.split("> huawei-a <", 1)[1].split("</tr>", 1)[0]
    assert f'href="/admin/execution/details/?id={ex.id}"' in row and "badge-success" in row
    assert "answering" in row
    present = ex.summary["found"] - ex.summary.get("absent_total", 0)
    assert re.search(
        rf'onus-0" href="/admin/onu/\?flt0_olt_equals=huawei-a"[^>]*> ?{present}<', row
    )
    assert "flt1_offline_equals=1" in row and "flt1_low_signal_equals=1" in row
    assert "never polled" in html.split("> never-polled <", 1)[1].split("</tr>", 1)[0]
    assert "unreachable" in html.split("> down-olt <", 1)[1].split("</tr>", 1)[0]
    for label in ("Reachability", "Last poll", "ONUs: present, offline, low signal"):
        assert f"> {label} <" in html
    assert quiet.id


def test_olt_list_queries_do_not_grow_with_the_page(app, client, noc):
    olts = [make_olt(None, f"olt-{i:02d}") for i in range(2)]
    for olt in olts:
        _onu(olt, f"{olt.name}-1", rx=-29.0)
    db.session.commit()
    with _Statements() as small:
        assert client.get("/admin/olt/").status_code == 200
    more = [make_olt(None, f"olt-{i:02d}") for i in range(2, 12)]
    for olt in more:
        _onu(olt, f"{olt.name}-1", rx=-29.0, state=2)
    db.session.commit()
    with _Statements() as big:
        html = client.get("/admin/olt/").text
    assert big.n == small.n, (small.n, big.n)
    assert html.count('title="low signal">1</a>') == 12 and html.count('title="offline">1<') == 10


def test_home_cards_and_failing_olts_link_to_the_filtered_lists(app, client, noc, lab):
    from webapp.models.base import utcnow

    ok = _polled(app, lab)
    bad = _polled(app, lab, "huawei-big")
    bad.status, bad.error, bad.finished_at = "FAILED", "timeout", utcnow()
    db.session.commit()
    home = client.get("/admin/").text
    failed = re.search(r'href="(/admin/execution/\?flt0_status_equals=FAILED[^"]*)"', home)
    assert failed and "flt1_created_greater_than=" in failed.group(1)
    listing = client.get(failed.group(1).replace("&amp;", "&")).text
    assert f"/admin/execution/details/?id={bad.id}" in listing
    assert f"/admin/execution/details/?id={ok.id}" not in listing
    failing = re.search(
        r'href="([^"]*=huawei-big&amp;flt1_status_equals=FAILED[^"]*)">huawei-', home
    )
    assert failing  # the "most failing OLTs" entry
    in_failing = client.get(failing.group(1).replace("&amp;", "&")).text
    assert f"details/?id={bad.id}" in in_failing and f"details/?id={ok.id}" not in in_failing
    assert 'href="/admin/onu/?flt0_olt_equals=huawei-a&amp;flt1_presence_equals=1"' in home
    # the latest executions: job and OLT link to their pages, times name their zone
    assert f'<a href="/admin/olt/details/?id={ok.olt_id}">huawei-a</a>' in home
    assert f'<a href="/admin/snmpjob/details/?id={bad.job_id}">' in home
    assert "(America/Lima)" in home


def test_favicon_and_the_way_back_from_the_rq_dashboard(app, client, noc):
    home = client.get("/admin/").text
    assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in home
    with client.get("/static/favicon.svg") as svg:
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    with client.get("/static/favicon.ico") as ico:  # what rq-dashboard's pages link
        assert ico.status_code == 200 and ico.data[:4] == b"\x00\x00\x01\x00"
    assert 'href="/static/favicon.svg"' in app.test_client().get("/login").text
    rq = client.get("/admin/rq/").text
    assert re.search(r'href="/admin/"[^>]*>&larr; Back to the admin<', rq)


def test_olt_form_shows_snmpv3_fields_only_for_version_3(app, client, noc):
    olt = make_olt(None, "olt-a")
    for url in ("/admin/olt/new/", f"/admin/olt/edit/?id={olt.id}"):
        html = client.get(url).text
        script = html.split("SNMPv3 fields only for version 3", 1)[1].split("</script>", 1)[0]
        names = re.findall(r"'([a-z0-9_]+)'", script.split("function group", 1)[0])
        assert set(names) == {"v3_user", "v3_auth_proto", "new_v3_auth_key", "v3_priv_proto",
                              "new_v3_priv_key", "v3_context", "new_community"}  # fmt: skip
        for name in names:  # every field the script hides is on the form
            assert f'id="{name}"' in html, (url, name)
        assert "getElementById('snmp_version')" in script


def test_delete_is_the_last_bulk_action_and_is_confirmed(app, client, noc):
    make_olt(None, "olt-a")
    for view in ("olt", "snmpjob", "oid"):
        html = client.get(f"/admin/{view}/").text
        actions = re.findall(r"modelActions\.execute\('([a-z_]+)'\)", html)
        assert actions[-1] == "delete" and actions.count("delete") == 1, (view, actions)
        assert '"delete": "Delete the selected records? This cannot be undone."' in html


def test_the_olt_list_costs_the_same_queries_for_3_or_30_olts(app, client, noc):
    """Last poll, reachability and ONU counts come in a fixed number of queries (the OLTs'
    profiles read once per request), never one per row."""
    from sqlalchemy import event

    def statements() -> list[str]:
        seen = []

        def note(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert client.get("/admin/olt/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        return seen

    for i in range(3):
        make_olt(None, f"olt-{i}")
    db.session.commit()
    few = statements()
    for i in range(3, 30):
        make_olt(None, f"olt-{i}")
    db.session.commit()
    many = statements()
    assert len(many) == len(few), "\n".join(many)
    assert sum("profile_key" in s and "FROM olts" in s for s in many) == 1
