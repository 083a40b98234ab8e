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
