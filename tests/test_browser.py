"""Onboarding in a real browser (Debian's chromium, headless): add an OLT with model "detect",
Test and detect it, run its poll from the jobs list, find its ONUs.
"""

from __future__ import annotations

import shutil
import threading
import time

import pytest
from werkzeug.serving import make_server

from tests.factories import make_user
from tests.test_runner import work

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
pytestmark = pytest.mark.skipif(
    not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)),
    reason="needs Debian packages ['chromium', 'chromium-driver']",
)


@pytest.fixture
def live(app):
    """The test app served over HTTP on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def _login(driver, live: str, username: str) -> None:
    """Log in and wait for the login's redirect (a navigation before it would be overridden)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.conftest import PASSWORD

    driver.get(f"{live}/login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url)


def _flashes(driver, expect: str) -> str:
    """The page's flash messages once one says ``expect`` (a click's page may still load)."""
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + 10
    while True:
        try:
            text = " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, ".alert"))
        except Exception:  # the old page went away while we read it
            text = ""
        if expect in text or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def test_add_detect_poll_and_see_the_onus(app, live, browser, recordings):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from webapp.extensions import db

    make_user("boss", superuser=True)
    db.session.commit()  # SQLite: the server thread writes too
    _login(browser, live, "boss")

    browser.get(f"{live}/admin/olt/new/")
    model = Select(browser.find_element(By.NAME, "model_choice"))
    assert model.first_selected_option.get_attribute("value") == "detect"
    browser.find_element(By.NAME, "name").send_keys("ufiber")
    browser.find_element(By.NAME, "host").send_keys("127.0.0.1")
    port = browser.find_element(By.NAME, "snmp_port")
    port.clear()
    port.send_keys(str(recordings.port))
    browser.find_element(By.NAME, "new_community").send_keys("ufiber")
    browser.find_element(By.CSS_SELECTOR, "form.admin-form [type=submit]").click()
    expect = "added with its poll job poll ufiber"
    assert expect in _flashes(browser, expect)

    browser.get(f"{live}/admin/olt/")
    assert "to be detected" in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "button[title='Test and detect']").click()
    flashes = _flashes(browser, "ufiber answered in")
    assert "ufiber answered in" in flashes and "Ubiquiti UFiber OLT, profile ufiber" in flashes
    db.session.expire_all()

    browser.get(f"{live}/admin/snmpjob/")
    row = browser.find_element(By.XPATH, "//tr[td[contains(., 'poll ufiber')]]")
    row.find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
    browser.find_element(By.LINK_TEXT, "With selected").click()
    browser.find_element(By.LINK_TEXT, "Run selected jobs now").click()
    WebDriverWait(browser, 10).until(lambda d: "/action/" in d.current_url)  # confirmation
    assert "poll ufiber" in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "form [type=submit].btn-primary").click()
    expect = "Ran 1 job: 1 execution created and enqueued"
    assert expect in _flashes(browser, expect)

    db.session.commit()
    work(app)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        browser.get(f"{live}/admin/onu/?search=UBNT")
        if "UBNT20731888" in browser.page_source:
            break
        time.sleep(0.5)
    page = browser.page_source
    assert "UBNT20731888" in page and "UBNTf9a532b8" in page and "-24.81" in page
    browser.get(f"{live}/admin/olt/")
    assert "Ubiquiti UFiber OLT" in browser.page_source


def test_rq_dashboard_job_page_shows_html_in_names_as_text(app, live, browser, lab):
    """An OLT named like markup is text on rq-dashboard's job page, never markup that runs."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from jobs.dispatch import run_jobs_now
    from tests.factories import make_job, make_olt
    from webapp.extensions import db
    from webapp.models import Execution

    name = "<img src=x onerror=\"document.title='pwned'\">"
    olt = make_olt(lab, name, community="huawei-a")
    report = run_jobs_now([make_job([olt], name="<b>bold</b>").id], trigger="cli", label="t")
    rq_id = db.session.get(Execution, report.execution_ids[0]).rq_job_id
    make_user("noc")
    db.session.commit()
    _login(browser, live, "noc")

    browser.get(f"{live}/admin/rq/0/view/job/{rq_id}")
    # the page re-renders the job every few seconds: read it in one go
    text, markup = WebDriverWait(browser, 10).until(
        lambda d: d.execute_script(
            "var c = document.querySelector('#job-data .description-scroll');"
            "return c && [c.textContent, c.querySelectorAll('b, img').length];"
        )
    )
    assert text.strip().startswith(f"<b>bold</b> @ {name}") and markup == 0
    assert browser.title != "pwned"
    browser.find_element(By.LINK_TEXT, "← Back to the admin").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/admin/"))


def test_the_onu_page_draws_its_optical_power(app, live, browser, lab):
    """The chart library loads from our static files and draws the samples of real polls."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.recordings_support import poll_again, poll_recording

    ex, onus, olt = poll_recording(app, lab, "huawei-a", brand="Huawei", model="MA5608T")
    assert ex.status == "SUCCESS", ex.error
    poll_again(app, olt)
    onu = next(o for o in onus.values() if o.rx_power_dbm is not None)
    make_user("noc")
    _login(browser, live, "noc")
    browser.get(f"{live}/admin/onu/details/?id={onu.id}")
    points = WebDriverWait(browser, 10).until(
        lambda d: d.execute_script(
            "var b = document.getElementById('onu-chart');"
            "return b && b.querySelector('canvas') && b.dataset.points;"
        )
    )
    assert points == "2"  # two polls, two samples
    browser.find_element(By.CSS_SELECTOR, "#onu-chart-spans [data-span='90d']").click()
    WebDriverWait(browser, 10).until(
        lambda d: (
            d.execute_script(
                "return document.querySelector('#onu-chart-spans .active').dataset.span"
            )
            == "90d"
        )
    )
    log = browser.get_log("browser")  # (no favicon yet: issue 13)
    errors = [e for e in log if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    assert errors == [], errors


def _shooter(driver, request, lang: str):
    """A function that saves a numbered screenshot of each step under a folder named after
    the test and the language (gitignored), and says where."""
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "test-screenshots"
    folder = folder / request.node.name.split("[")[0] / lang
    folder.mkdir(parents=True, exist_ok=True)
    steps = iter(range(1, 100))

    def shot(step: str) -> None:
        driver.save_screenshot(str(folder / f"{next(steps):02d}-{step}.png"))

    print(f"screenshots: {folder}")
    return shot


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_noc_day_in_both_languages(app, live, browser, lab, lang, request):
    """Login, run a poll now (confirmation, flash, the executions page refreshing itself to
    SUCCESS), the ONU list's search and filters, an OLT page and the language switch, with
    every label in the reader's language."""
    from flask_babel import force_locale, gettext, ngettext
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from jobs.olts import ensure_poll_job
    from tests.factories import make_olt
    from webapp.extensions import db

    def t(text, **kw):
        with app.test_request_context(), force_locale(lang):
            return gettext(text, **kw)

    def tn(one, many, n):
        with app.test_request_context(), force_locale(lang):
            return ngettext(one, many, n)

    olt = make_olt(lab, "huawei-a")
    job = ensure_poll_job(olt)
    job_name, olt_id = job.name, olt.id
    make_user("noc")
    db.session.commit()  # SQLite: no transaction of the test's holds the write lock
    shot = _shooter(browser, request, lang)

    browser.get(f"{live}/login?lang={lang}")
    assert t("Username") in browser.page_source
    shot("login")
    _login(browser, live, "noc")
    shot("home")

    browser.get(f"{live}/admin/snmpjob/")
    row = browser.find_element(By.XPATH, f"//tr[td[contains(., '{job_name}')]]")
    row.find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
    run_now = browser.find_element(By.XPATH, "//a[contains(@onclick, \"'run_now'\")]")
    run_now.find_element(By.XPATH, "ancestor::li[1]/a[contains(@class, 'dropdown-toggle')]").click()
    assert run_now.text == t("Run selected jobs now")  # Flask-Admin's own menu, ours inside
    run_now.click()
    WebDriverWait(browser, 10).until(lambda d: "/action/" in d.current_url)
    shot("run-now-confirmation")
    browser.find_element(By.CSS_SELECTOR, "form [type=submit].btn-primary").click()
    created = tn("%(num)d execution created and enqueued",
                 "%(num)d executions created and enqueued", 1) % {"num": 1}  # fmt: skip
    assert created in _flashes(browser, created)
    shot("run-now-flash")

    def statuses(driver):
        try:
            return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "td span.badge")]
        except Exception:  # the page went away while it was read (its refresh)
            return []

    browser.get(f"{live}/admin/execution/")
    assert statuses(browser) == ["PENDING"]
    shot("executions-pending")
    db.session.commit()
    work(app)  # the page is not reloaded by the test: its own refresh shows the result
    WebDriverWait(browser, 20).until(lambda d: statuses(d) == ["SUCCESS"])
    shot("executions-success")

    db.session.expire_all()
    from webapp.models import Onu

    onu = db.session.scalars(db.select(Onu).where(Onu.olt_id == olt_id).order_by(Onu.id)).first()
    serial, state = onu.serial, onu.state_label
    db.session.commit()
    browser.get(f"{live}/admin/onu/?search={serial[:-3]}")
    assert serial in browser.page_source
    shot("onu-search")
    browser.find_element(By.LINK_TEXT, t("Offline")).click()
    WebDriverWait(browser, 10).until(lambda d: "offline" in d.current_url)
    shot("onu-offline")
    browser.find_element(By.LINK_TEXT, t("All ONUs")).click()
    shot("onu-all")

    # a pick list: Add filter → State offers the states by name; pick this ONU's
    filters = browser.find_element(By.CSS_SELECTOR, "div.field-filters")
    filters.find_element(By.XPATH, "preceding-sibling::a").click()
    filters.find_element(By.XPATH, f"a[normalize-space()='{t('State')}']").click()
    pick = browser.find_element(By.CSS_SELECTOR, "#filter_form select.filter-val")
    offered = [o.get_attribute("value") for o in pick.find_elements(By.TAG_NAME, "option")]
    assert state in offered and len(offered) == len(set(offered)), offered
    browser.execute_script("$(arguments[0]).val(arguments[1]).trigger('change')", pick, state)
    shot("onu-state-pick-list")
    apply = browser.find_element(By.CSS_SELECTOR, "#filter_form button[type=submit]")
    if apply.is_displayed():
        apply.click()
    else:  # Flask-Admin 2.2's jQuery .show() cannot undo Bootstrap's d-none
        browser.execute_script("document.getElementById('filter_form').submit()")
    WebDriverWait(browser, 10).until(lambda d: "state" in d.current_url)
    rows = browser.find_elements(By.CSS_SELECTOR, "table.model-list tbody tr")
    assert rows and serial in browser.page_source
    assert all(state in r.text for r in rows), [r.text for r in rows]
    shot("onu-state-filtered")

    browser.get(f"{live}/admin/olt/details/?id={olt_id}")
    assert "huawei-a" in browser.page_source
    shot("olt-page")

    other, other_name = ("es", "Español") if lang == "en" else ("en", "English")
    browser.find_element(By.CSS_SELECTOR, f"#language-switch a[lang={other}]").click()
    WebDriverWait(browser, 10).until(lambda d: f"lang={other}" in d.current_url)
    with app.test_request_context(), force_locale(other):
        logout = gettext("Log out")
    assert logout in browser.page_source and f"id={olt_id}" in browser.current_url
    shot(f"switched-to-{other}")
