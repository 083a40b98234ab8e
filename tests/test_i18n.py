"""Nothing a person reads is left out of the translation: every marked message has its Spanish
entry, no template shows unmarked words, no view label, flash or form error is a bare string,
and form errors come in the reader's language at the field they are about.

The CLI's own checks are in tests/test_cli_i18n.py; the catalog's completeness (every entry,
every plural form) in tests/test_admin_views.py.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po
from jinja2 import nodes

from tests.conftest import ROOT, csrf_token, login
from tests.factories import make_user

CATALOG = ROOT / "webapp" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
# the keywords Flask-Babel's names are imported as here, beside Babel's defaults
KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2", "_n:1,2")


def _spanish() -> dict[str, tuple[str, ...]]:
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    out = {}
    for m in catalog:
        if m.id:
            key = m.id if isinstance(m.id, str) else m.id[0]
            out[key] = m.string if isinstance(m.string, tuple) else (m.string,)
    return out


def test_every_marked_message_has_a_spanish_entry(tmp_path):
    """Extract as a translator would (babel.cfg: the app, the jobs, the templates) and look
    every message up in the Spanish catalog: a new _("…") without its entry fails here."""
    pot = tmp_path / "messages.pot"
    cmd = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
           "-o", str(pot), *[f"-k{k}" for k in KEYWORDS], "."]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        extracted = read_po(f)
    spanish = _spanish()
    missing = []
    for m in extracted:
        if not m.id:
            continue
        key = m.id if isinstance(m.id, str) else m.id[0]
        if not all(spanish.get(key, ("",))):
            where = ", ".join(f"{path}:{line}" for path, line in m.locations[:2])
            missing.append(f"{key!r} ({where})")
    assert len(extracted) > 500  # the extraction really read the sources
    assert not missing, "no Spanish entry for:\n" + "\n".join(missing)


# --- templates -------------------------------------------------------------------------

WORDS = re.compile(r"[^\W\d_]{2,}")
# Words that are the same in every language: names of protocols, units, the product, the
# languages' own names on the switch, and what a header must literally say.
SAME_IN_EVERY_LANGUAGE = {
    "OLT", "OLTs", "ONU", "ONUs", "PON", "OID", "SNMP", "dBm", "sysObjectID", "sysDescr",
    "oltwatch", "English", "Español", "Authorization", "Bearer",
}  # fmt: skip
# Attributes a person reads (a submit button's value too).
READ_ATTRS = {"title", "placeholder", "alt", "aria-label", "data-confirm"}
# Pages of rq-dashboard that we override only to add a way back (marked) or to hide job
# arguments: the rest of rq-dashboard's interface is its own, English-only.
THIRD_PARTY = {"rq_dashboard"}


class _Text(HTMLParser):
    """The words of an HTML fragment a person reads: text outside scripts and styles, and
    the attributes above."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self._hidden = 0

    def _add(self, text: str) -> None:
        self.words += [w for w in WORDS.findall(text) if w not in SAME_IN_EVERY_LANGUAGE]

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        attrs = dict(attrs)
        for name in READ_ATTRS:
            self._add(attrs.get(name) or "")
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset"):
            self._add(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data):
        if not self._hidden:
            self._add(data)


def unmarked_template_words(env, source: str) -> list[str]:
    """Words in a template's own HTML (not inside {{ }}, {% trans %} or _()) a person reads."""
    tree = env.parse(source)
    parser = _Text()
    # each piece of literal HTML in order; expressions become a neutral placeholder so that
    # an attribute split by {{ }} still parses
    parts = []
    for node in tree.find_all((nodes.TemplateData, nodes.Output)):
        if isinstance(node, nodes.TemplateData):
            parts.append(node.data)
    parser.feed(" ".join(parts))
    parser.close()
    return parser.words


def test_the_template_check_finds_unmarked_words(app):
    env = app.jinja_env
    assert unmarked_template_words(env, "<p>Last poll</p>") == ["Last", "poll"]
    assert unmarked_template_words(env, '<a title="Open it">{{ _("Open") }}</a>') == ["Open", "it"]
    assert unmarked_template_words(env, '<input type="submit" value="Save">') == ["Save"]
    assert unmarked_template_words(env, "<p>{{ _('Last poll') }} {{ olt.name }} dBm</p>") == []
    assert unmarked_template_words(env, "{% trans %}Last poll{% endtrans %}") == []
    assert unmarked_template_words(env, "<script>var a = 'text';</script>") == []


def test_no_template_shows_unmarked_words(app):
    bad = []
    for path in sorted((ROOT / "webapp" / "templates").rglob("*.html")):
        if path.parent.name in THIRD_PARTY:
            continue
        words = unmarked_template_words(app.jinja_env, path.read_text())
        if words:
            bad.append(f"{path.relative_to(ROOT)}: {' '.join(words)}")
    assert not bad, "unmarked words in templates:\n" + "\n".join(bad)


# --- Python: view labels, flashes, form errors -------------------------------------------

MARKERS = {"_", "gettext", "ngettext", "lazy_gettext", "lazy_ngettext", "_l", "_n", "N_"}
LETTERS = re.compile(r"[A-Za-z]{2,}\w*")
# the calls and keywords whose text a person reads in the admin
SHOWN_ARGS = {"flash": (0,), "ValidationError": (0,), "StopValidation": (0,), "action": (1, 2)}
SHOWN_KEYWORDS = {"label", "description", "name", "category", "message", "form_label"}
# constructors whose name=/description= are not shown to a person (SQL, metrics, routes…)
NOT_SHOWN = {
    "Column", "mapped_column", "Blueprint", "Index", "getLogger", "Table", "ForeignKey",
    "relationship", "UniqueConstraint", "CheckConstraint", "Enum", "Sequence", "Counter",
    "Gauge", "Histogram", "Summary", "Queue", "Worker", "option", "argument", "command",
    "group", "route", "add_url_rule", "register_blueprint", "Limiter", "Api", "Thread",
    "Process", "namedtuple", "dataclass", "field", "Rule", "TemplateLinkRowAction",
}  # fmt: skip
# Python files whose bare strings are not a person's reading: data written to the database
# (the seeded profiles' descriptions are the vendor's words, not the interface's), the CLI
# (tests/test_cli_i18n.py) and the API (answers in English, its documented language).
NOT_INTERFACE = {"webapp/seed.py", "webapp/cli*.py", "webapp/api/*.py"}


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _wordy(text: str) -> bool:
    return any(w not in SAME_IN_EVERY_LANGUAGE for w in LETTERS.findall(text))


def _bare(node: ast.expr) -> bool:
    """A string a person would read, written out instead of marked for translation."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _wordy(node.value)
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and _wordy(v.value) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _bare(node.left) or _bare(node.right)
    if isinstance(node, ast.Call) and _call_name(node.func) == "format":
        return _bare(node.func.value)  # "…".format() is as bare as "…"
    if isinstance(node, ast.Call) and _call_name(node.func) == "Markup" and node.args:
        return _bare(node.args[0])
    return False


def unmarked_python_strings(source: str, filename: str = "<test>") -> list[str]:
    """Flash messages, form errors, action names and view labels written as bare strings."""
    found = []
    for node in ast.walk(ast.parse(source)):
        shown: list[ast.expr] = []
        if isinstance(node, ast.Call):
            name = _call_name(node.func)
            shown += [node.args[i] for i in SHOWN_ARGS.get(name, ()) if i < len(node.args)]
            if name.endswith("Field") and node.args:  # a wtforms field's label
                shown.append(node.args[0])
            if name not in NOT_SHOWN:
                shown += [k.value for k in node.keywords if k.arg in SHOWN_KEYWORDS]
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("column_labels", "column_descriptions")
            for t in node.targets
        ):
            if isinstance(node.value, ast.Dict):
                shown += node.value.values
        found += [f"{filename}:{n.lineno}: {ast.unparse(n)[:90]}" for n in shown if _bare(n)]
    return found


def test_the_python_check_finds_bare_strings():
    planted = """
flash("Saved.")
flash(f"Ran {n} jobs", "info")
raise ValidationError("Bad host")
column_labels = {"name": "Name", "olt": _l("OLT")}
name = StringField("Name")
@action("delete", "Delete", "Are you sure?")
def f(): pass
menu = MenuLink(name="Docs", url="/x")
"""
    found = unmarked_python_strings(planted)
    assert len(found) == 8, found
    marked = """
flash(_("Saved."))
flash(ngettext("Ran %(num)d job", "Ran %(num)d jobs", n), "info")
raise ValidationError(_("Bad host"))
column_labels = {"name": _l("Name")}
name = StringField(_l("Name"))
@action("delete", _l("Delete"), _l("Are you sure?"))
def f(): pass
col = mapped_column(String(10), name="x_name")
"""
    assert unmarked_python_strings(marked) == []


def test_no_view_label_flash_or_form_error_is_a_bare_string():
    """The web app's Python (jobs/ writes data and logs; what it stores for people to read,
    an execution's message, is a code rendered on reading: tests/test_execution_messages.py)."""
    skip = {p for pattern in NOT_INTERFACE for p in ROOT.glob(pattern)}
    bad = []
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        if path not in skip:
            bad += unmarked_python_strings(path.read_text(), str(path.relative_to(ROOT)))
    assert not bad, "not marked for translation:\n" + "\n".join(bad)


# --- form errors, through the admin, in each language -------------------------------------


@pytest.fixture
def staff(app, client):
    make_user("noc")
    login(client, "noc")


def _post(client, url: str, data: dict, lang: str):
    page = client.get(f"{url}?lang={lang}" if "?" not in url else f"{url}&lang={lang}")
    assert page.status_code == 200
    return client.post(url, data={**data, "csrf_token": csrf_token(page.text)})


def _error_at(html: str, field: str) -> str:
    """The error text Flask-Admin shows under the field (Bootstrap 4's invalid-feedback)."""
    import html as html_lib

    found = re.search(
        rf'id="{field}"[^>]*>\s*<div class="invalid-feedback">\s*<ul[^>]*>\s*<li>(.*?)</li>',
        html,
        flags=re.DOTALL,
    )
    assert found, f"no error under {field}"
    return html_lib.unescape(re.sub(r"\s+", " ", found.group(1)))


OLT_FORM = {
    "name": "olt-x", "model_choice": "detect", "host": "10.0.0.999", "snmp_port": "161",
    "snmp_version": "3", "v3_user": "noc", "v3_auth_proto": "SHA", "new_v3_auth_key": "",
    "v3_priv_proto": "AES", "new_v3_priv_key": "secret-priv-key", "timeout": "2",
    "retries": "1", "max_repetitions": "25", "enabled": "y",
}  # fmt: skip


@pytest.mark.parametrize(
    "lang,host_error,v3_error",
    [
        ("en", "'10.0.0.999' is not a valid IPv4 address", None),
        ("es", "'10.0.0.999' no es una dirección IPv4 válida", None),
        ("en", None, "SNMPv3 privacy needs an auth key too"),
        ("es", None, "la privacidad SNMPv3 necesita también una clave de autenticación"),
    ],
)
def test_olt_form_errors_are_at_their_field_in_the_readers_language(
    app, client, staff, lang, host_error, v3_error
):
    from webapp.models import Olt

    data = dict(OLT_FORM, host="10.0.0.999" if host_error else "10.0.0.9")
    r = _post(client, "/admin/olt/new/", data, lang)
    assert r.status_code == 200  # the form again, nothing saved
    html = r.text
    if host_error:
        assert _error_at(html, "host") == host_error
    else:
        assert _error_at(html, "new_v3_auth_key") == v3_error
        assert "secret-priv-key" not in html  # a refused form never echoes a key
    from webapp.extensions import db

    assert db.session.query(Olt).count() == 0


def test_a_job_schedule_error_is_at_its_field_in_spanish(app, client, staff):
    from webapp.extensions import db
    from webapp.models import SnmpJob

    data = {"name": "every-so-often", "job_type": "discovery", "interval": "5 minutes",
            "max_retries": "0", "retry_delay": "60", "enabled": "y", "options": "{}"}  # fmt: skip
    r = _post(client, "/admin/snmpjob/new/", data, "es")
    assert r.status_code == 200
    assert _error_at(r.text, "interval").startswith("No es un intervalo: un número y una unidad")
    assert db.session.query(SnmpJob).filter_by(name="every-so-often").count() == 0


def test_a_short_password_is_refused_at_its_field_in_spanish(app, client):
    from webapp.extensions import db
    from webapp.models import User

    make_user("root", superuser=True)
    login(client, "root")
    data = {"username": "ana", "new_password": "short", "is_staff": "y", "active": "y",
            "language": ""}  # fmt: skip
    r = _post(client, "/admin/user/new/", data, "es")
    assert r.status_code == 200
    assert _error_at(r.text, "new_password") == "la contraseña debe tener al menos 8 caracteres"
    assert db.session.query(User).filter_by(username="ana").count() == 0


@pytest.mark.parametrize("lang,words", [("en", "per page"), ("es", "por página")])
def test_the_page_size_menu_reads_in_the_readers_language(app, client, staff, lang, words):
    html = re.sub(r"\s+", " ", client.get(f"/admin/onu/?lang={lang}").text)
    assert f"> 50 {words} </a>" in html  # the menu's button
    assert f">100 {words}</a>" in html  # one of its choices
    assert " items </a>" not in html and " items</a>" not in html and "artículos" not in html


@pytest.mark.parametrize(
    "lang,duration,ago,uptime",
    [
        ("en", "1,234.5 s", "5 seconds ago", "3 weeks (1,814,400 s)"),
        ("es", "1.234,5 s", "hace 5 segundos", "3 semanas (1.814.400 s)"),
    ],
)
def test_durations_read_in_the_readers_language(app, lang, duration, ago, uptime):
    from flask_babel import force_locale

    from webapp.admin.base import seconds, time_ago, uptime_words

    with app.test_request_context(), force_locale(lang):
        assert seconds(1234.5) == duration
        assert time_ago(5) == ago
        assert uptime_words(21 * 86400) == uptime
        assert seconds(None) == time_ago(None) == uptime_words(None) == ""


def test_the_home_page_counts_with_plurals_and_durations_in_spanish(app, client, staff, lab):
    from jobs.olts import poll_now
    from tests.factories import make_olt
    from tests.test_runner import work
    from webapp.extensions import db
    from webapp.models import Execution

    olt = make_olt(lab, "huawei-a")
    poll_now(olt, trigger="cli", label="test")
    work(app)
    ex = db.session.query(Execution).one()
    ex.duration_ms = 12345
    db.session.commit()
    html = re.sub(r"\s+", " ", client.get("/admin/?lang=es").text)
    assert "1 tarea, 1 OLT" in html
    assert "12,3 s" in html and "1 ejecución" in html  # the slowest OLTs
    assert "12.3 s" not in html and " runs" not in html


@pytest.mark.parametrize("url", ["/admin/", "/admin/onu/", "/admin/olt/", "/admin/alarm/",
                                 "/admin/onuevent/", "/admin/execution/"])  # fmt: skip
def test_every_admin_page_names_the_time_zone_of_its_times(app, client, staff, url):
    app.config["TIMEZONE"] = "America/Lima"
    html = client.get(f"{url}?lang=es").text
    assert 'id="time-zone"' in html and "Horas en America/Lima" in html, url
