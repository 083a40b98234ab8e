"""The admin's onboarding: model "detect", Test and detect, the poll job, profiles, overrides."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jobs.columns import effective_rule
from tests.conftest import csrf_token, login
from tests.factories import brand, make_olt, make_user
from webapp.extensions import db
from webapp.models import IndexFormula, Oid, Olt, SnmpJob

BASE = {
    "snmp_port": "161",
    "snmp_version": "2c",
    "timeout": "1",
    "retries": "0",
    "max_repetitions": "25",
    "v3_auth_proto": "SHA",
    "v3_priv_proto": "AES",
    "enabled": "y",
}


@pytest.fixture
def boss(app, client):
    make_user("boss", superuser=True)
    login(client, "boss")


def _post(client, url, data, page_url=None):
    page = client.get(page_url or url)
    assert page.status_code == 200, page.status_code
    return client.post(
        url, data={**data, "csrf_token": csrf_token(page.text)}, follow_redirects=True
    )


def test_adding_an_olt_offers_detect_and_creates_its_poll_job(app, client, boss, recordings):
    page = client.get("/admin/olt/new/")
    assert 'value="detect" selected' in page.text or 'selected value="detect"' in page.text
    data = {**BASE, "name": "ufiber", "model_choice": "detect", "host": "127.0.0.1"}
    data.update(snmp_port=str(recordings.port), new_community="ufiber")
    r = _post(client, "/admin/olt/new/", data)
    assert "added with its poll job poll ufiber" in r.text
    olt = db.session.scalar(select(Olt))
    assert olt.auto_detect and olt.brand is None and olt.model is None
    job = db.session.scalar(select(SnmpJob))
    assert (job.name, job.job_type, job.interval, job.oid) == ("poll ufiber", "poll", "15m", None)
    listed = client.get("/admin/olt/").text
    assert "to be detected" in listed and "/admin/olt/detect/" in listed


def test_test_and_detect_from_the_list_and_the_edit_page(app, client, boss, recordings):
    olt = make_olt(recordings, "zte-c320-v21", brand_name="ZTE", auto_detect=True, brand_id=None)
    r = _post(client, "/admin/olt/detect/", {"id": str(olt.id)}, page_url="/admin/olt/")
    assert r.status_code == 200
    assert "zte-c320-v21 answered in" in r.text and "ZTE C320, profile zte" in r.text
    assert "(brand and model set)" in r.text
    db.session.expire_all()
    olt = db.session.get(Olt, olt.id)
    assert (olt.brand.name, olt.model.name) == ("ZTE", "C320")
    details = client.get(f"/admin/olt/details/?id={olt.id}").text
    assert (
        "C320 Version V2.1.0 Software" in details
        and "1.3.6.1.4.1.3902.1082.1001.320.2.1" in details
    )
    assert "zte-c320" in details and "poll zte-c320-v21" not in details  # no poll job: factory
    edit = client.get(f"/admin/olt/edit/?id={olt.id}").text
    assert "Test and detect" in edit and "Last detection" in edit
    r = _post(
        client,
        "/admin/olt/detect/",
        {"id": str(olt.id), "next": "edit"},
        page_url=f"/admin/olt/edit/?id={olt.id}",
    )
    assert "Edit" in r.text and "answered in" in r.text


def test_detection_that_disagrees_with_the_configuration_warns(app, client, boss, recordings):
    make_olt(recordings, "ufiber", brand_name="Huawei")  # configured as Huawei
    olt = db.session.scalar(select(Olt))
    r = _post(client, "/admin/olt/detect/", {"id": str(olt.id)}, page_url="/admin/olt/")
    assert "but it is configured as Huawei" in r.text
    db.session.expire_all()
    assert db.session.get(Olt, olt.id).brand.name == "Huawei"  # not changed behind their back


def test_bulk_detect_and_an_olt_that_does_not_answer(app, client, boss, recordings):
    a = make_olt(recordings, "vsol-v1600d", brand_name="V-SOL")
    b = make_olt(recordings, "mute", brand_name="Huawei", community="nope", timeout=0.3)
    b.retries = 0
    db.session.commit()
    page = client.get("/admin/olt/")
    r = client.post(
        "/admin/olt/action/",
        data={
            "action": "detect",
            "rowid": [str(a.id), str(b.id)],
            "csrf_token": csrf_token(page.text),
        },
        follow_redirects=True,
    )
    assert "vsol-v1600d answered in" in r.text and "OLT mute (127.0.0.1:" in r.text
    assert "did not answer within 0.3 s" in r.text
    assert "nope" not in r.text  # the community never shows


def test_detect_needs_staff_and_csrf(app, client, recordings):
    olt = make_olt(recordings, "ufiber", brand_name="Ubiquiti")
    anon = client.post("/admin/olt/detect/", data={"id": str(olt.id)})
    assert anon.status_code in (302, 400)
    make_user("viewer", staff=False)
    login(client, "viewer")
    assert client.post("/admin/olt/detect/", data={"id": str(olt.id)}).status_code in (400, 403)
    make_user("staffer")
    staff = app.test_client()
    login(staff, "staffer")
    no_token = staff.post("/admin/olt/detect/", data={"id": str(olt.id)})
    assert no_token.status_code == 400
    assert db.session.get(Olt, olt.id).detection is None


def test_profiles_page_shows_candidates_and_decodes(app, client, boss):
    r = client.get("/admin/profiles/")
    assert r.status_code == 200 and "ufiber" in r.text and "bdcom" in r.text
    assert "a Huawei MDU" in r.text  # known devices that are not OLTs
    zte = client.get("/admin/profiles/zte/?index=268501248.5&formula=legacy")
    assert zte.status_code == 200 and "<code>1/1/1:5</code>" in zte.text
    assert "zxGponOntPhaseState" in zte.text and "ZXGPON-SERVICE-MIB" in zte.text
    bad = client.get("/admin/profiles/zte/?index=abc&formula=legacy")
    assert "alert-danger" in bad.text
    assert client.get("/admin/profiles/nokia/").status_code == 404


def test_an_ifname_formula_stays_ifname_when_saved(app, client, boss):
    b = brand("Generic")
    fields = {f: "0" for f in ("base", "step_slot", "step_port", "shift_frame", "mask_frame")}
    fields.update({f: "0" for f in ("shift_slot", "mask_slot", "shift_port", "mask_port")})
    fields.update({f: "0" for f in ("shift_onu", "mask_onu", "frame_offset", "slot_offset")})
    fields.update(port_offset="0", onu_offset="0")
    data = {"name": "if", "brand": str(b.id), "mode": "ifname", "enabled": "y", **fields}
    _post(client, "/admin/indexformula/new/", data)
    formula = db.session.scalar(select(IndexFormula))
    assert formula.mode == "ifname"
    edit = f"/admin/indexformula/edit/?id={formula.id}"
    _post(client, edit, {**data, "name": "if2"})
    db.session.expire_all()
    assert db.session.get(IndexFormula, formula.id).mode == "ifname"


def test_a_catalogue_oid_keeps_only_the_operators_edits(app, client, boss):
    b = brand("Huawei")
    oid = db.session.scalar(
        select(Oid).filter_by(brand_id=b.id, oid="1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4")
    )
    assert oid.value_scale is None and oid.value_sentinels is None  # the profile answers
    rule, _suffix, source = effective_rule(oid)
    assert rule.scale == 0.01 and 2147483647 in rule.sentinels and source == "profile huawei"
    page = client.get(f"/admin/oid/edit/?id={oid.id}")
    assert 'placeholder="0.01"' in page.text and "Empty: as the built-in profile" in page.text
    data = {"name": oid.name, "oid": oid.oid, "brand": str(b.id), "kind": "rx_power"}
    data.update(mib_name=oid.mib_name, value_scale="0.1", value_parse="")
    _post(client, f"/admin/oid/edit/?id={oid.id}", data)
    db.session.expire_all()
    oid = db.session.get(Oid, oid.id)
    assert oid.value_scale == 0.1 and oid.value_parse is None and oid.value_sentinels is None
    rule, _suffix, _source = effective_rule(oid)
    assert rule.scale == 0.1 and 2147483647 in rule.sentinels  # the rest still the profile's
    listed = client.get("/admin/oid/?search=51.1.4").text
    assert "×0.1" in listed
