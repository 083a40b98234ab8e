"""The command line in Spanish and English: its language, its words, and nothing else moves.

Real commands through Click's runner (and manage_cli.py processes) on the migrated test
databases; an AST check that every message a person reads goes through gettext; and a check
that every message of the CLI modules has its Spanish entry.
"""

from __future__ import annotations

import ast
import json
import sys
from datetime import UTC, datetime, timedelta

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po
from flask_babel import get_locale
from sqlalchemy import select

from tests.conftest import ROOT, run_subprocess, worker_env
from tests.factories import make_job, make_olt, make_user
from webapp.cli_i18n import cli_language
from webapp.extensions import db
from webapp.models import Execution
from webapp.models.base import utcnow

POSIX = ("OLTWATCH_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
# a Spanish machine, and the same machine with OLTWATCH_LANG=en
SPANISH = {**dict.fromkeys(POSIX), "LANG": "es_ES.UTF-8"}
ENGLISH_ON_SPANISH = {**SPANISH, "OLTWATCH_LANG": "en"}
CLI_FILES = sorted((ROOT / "webapp").glob("cli*.py")) + [ROOT / "manage_cli.py"]
CATALOG = ROOT / "webapp" / "translations" / "es" / "LC_MESSAGES" / "messages.po"


# --- choosing the language -------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "es_ES.UTF-8"}, "es"),
        ({"LANG": "es_AR.utf8@euro"}, "es"),
        ({"LANG": "es"}, "es"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),  # not ours: the default
        ({"LANG": "es_ES.UTF-8", "OLTWATCH_LANG": "en"}, "en"),
        ({"LANG": "en_US.UTF-8", "OLTWATCH_LANG": "es"}, "es"),
        ({"LANG": "es_ES.UTF-8", "OLTWATCH_LANG": "de"}, "en"),  # OLTWATCH_LANG decides
        ({"LANG": "es_ES.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "es_MX.UTF-8"}, "es"),
        ({"LC_MESSAGES": "es_MX.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "es_ES.UTF-8", "LANG": "en_US.UTF-8"}, "es"),
        ({"LANGUAGE": "es:en", "LANG": "en_US.UTF-8"}, "es"),
        ({"LANGUAGE": "en_GB:es", "LANG": "es_ES.UTF-8"}, "en"),
        ({"LANGUAGE": "fr:es", "LANG": "en_US.UTF-8"}, "es"),  # gettext's fallback list
        ({"LANGUAGE": "fr", "LANG": "es_ES.UTF-8"}, "en"),  # LANGUAGE replaces the locale
        ({"LANGUAGE": ":", "LANG": "es_ES.UTF-8"}, "es"),  # an empty list is no list
        ({"LANGUAGE": "es"}, "es"),  # no locale set at all: LANGUAGE still counts here
        ({"LANGUAGE": "es", "LC_ALL": "C"}, "en"),  # gettext ignores LANGUAGE under C
        ({"LANGUAGE": "es", "LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "not a locale!"}, "en"),
    ],
)
def test_the_cli_language_comes_from_the_environment_like_a_unix_tool(environ, expected):
    assert cli_language(environ, ("en", "es"), "en") == expected


def test_only_commands_a_person_reads_speak_the_cli_language():
    """The worker pool, the scheduler and devstack keep English (their logs, what they store)."""
    from webapp.cli import commands

    def leaves(command):
        if hasattr(command, "commands"):
            for sub in command.commands.values():
                yield from leaves(sub)
        else:
            yield command

    speaking = {
        c.name: getattr(c.callback, "_speaks_cli_language", False)
        for top in commands()
        for c in leaves(top)
    }
    assert {n for n, s in speaking.items() if not s} == {"worker", "scheduler", "devstack"}
    assert speaking["run"] and speaking["status"] and speaking["list"]


def test_outside_a_command_the_default_whatever_lang_says(app, runner, monkeypatch):
    """Workers, the scheduler, anything in an app context that is not a CLI command."""
    for name in POSIX:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    assert str(get_locale()) == "en"
    spanish = runner.invoke(args=["users", "disable", "nobody"])
    assert "error: no existe el usuario 'nobody'" in spanish.output
    # the command's language neither came from this context's cache nor stays in it
    assert str(get_locale()) == "en"
    with app.app_context():
        assert str(get_locale()) == "en"


# --- real commands in both languages ---------------------------------------------------


def _both(runner, args, **kw):
    """The command's output on a Spanish machine, and with OLTWATCH_LANG=en on it."""
    es = runner.invoke(args=args, env=SPANISH, **kw)
    en = runner.invoke(args=args, env=ENGLISH_ON_SPANISH, **kw)
    return es, en


def test_run_in_spanish_and_english_with_plurals(app, runner, lab):
    olt = make_olt(lab, "huawei-a")
    one = make_job([olt]).id
    es, en = _both(runner, ["run", str(one)])
    assert es.exit_code == 0, es.output
    assert "Ejecutada 1 tarea: 1 ejecución creada y 1 encolada en discovery_main" in es.output
    # the first run is still pending: the second says why, in its language
    assert en.exit_code == 1
    assert "skipped discovery on huawei-a: an execution is already pending" in en.output
    assert "error: no executions were created" in en.output

    db.session.execute(Execution.__table__.delete())
    db.session.commit()
    two = [make_job([olt], name=f"discovery-{i}").id for i in (2, 3)]
    es = runner.invoke(args=["run", *map(str, two)], env=SPANISH)
    assert "Ejecutadas 2 tareas: 2 ejecuciones creadas y 2 encoladas en discovery_main" in (
        es.output
    )
    en = runner.invoke(args=["run", str(one)], env=ENGLISH_ON_SPANISH)
    assert "Ran 1 job: 1 execution created and 1 enqueued on discovery_main" in en.output
    skipped = runner.invoke(args=["run", *map(str, two), "424242"], env=SPANISH)
    assert skipped.exit_code == 1
    assert "omitida discovery-2 en huawei-a: ya hay una ejecución pendiente" in skipped.output
    assert "omitida #424242: tarea no encontrada" in skipped.output
    assert "error: no se creó ninguna ejecución" in skipped.output


def test_errors_and_confirmations_in_both_languages(app, runner, tmp_path):
    es, en = _both(runner, ["users", "create", "ana", "--password-stdin"], input="long-pass-1\n")
    assert es.exit_code == 0 and "usuario ana creado (staff: sí, superusuario: no)" in es.output
    assert en.exit_code == 1 and "error: user 'ana' already exists" in en.output
    es = runner.invoke(args=["users", "create", "ana", "--password-stdin"], env=SPANISH, input="x")
    assert es.exit_code == 1 and "error: el usuario 'ana' ya existe" in es.output
    es, en = _both(runner, ["jobs", "add", "x", "--olt", "nope"])
    assert "error: no hay una OLT llamada 'nope'" in es.output
    assert "error: no OLT named 'nope'" in en.output
    es = runner.invoke(args=["lab", "serve", "--olt", "bad"], env=SPANISH)
    assert es.exit_code == 2 and "'bad' no es NOMBRE:FORMA:ONUS" in es.output
    out = str(tmp_path / "olt.snmprec")
    for onus, es_words, en_words in ((1, "para 1 ONU zte en", "for 1 zte ONU to"),
                                     (2, "para 2 ONUs zte en", "for 2 zte ONUs to")):  # fmt: skip
        args = ["lab", "generate", "--profile", "zte", "--onus", str(onus), "--out", out]
        es, en = _both(runner, args)
        assert es.output.startswith("escritas ") and es_words in es.output, es.output
        assert en.output.startswith("wrote ") and en_words in en.output, en.output


def test_tables_dates_and_unchanged_json(app, runner, lab):
    user = make_user("noc")
    user.last_login_at = datetime(2026, 1, 2, 15, 4, 5, tzinfo=UTC)  # UTC; TIMEZONE is America/Lima
    db.session.commit()
    olt = make_olt(lab, "huawei-a")
    runner.invoke(args=["jobs", "add", "hourly", "--olt", "huawei-a", "--interval", "1h"])
    job = make_job([olt])
    db.session.add(
        Execution(
            job_id=job.id,
            job_name=job.name,
            olt_id=olt.id,
            olt_name=olt.name,
            status="SUCCESS",
            trigger="manual",
            started_at=datetime(2026, 1, 2, 15, 4, 5, tzinfo=UTC),
            duration_ms=1234,
        )
    )
    db.session.commit()

    es, en = _both(runner, ["users", "list"])
    assert "ÚLTIMO INGRESO" in es.output and "LAST LOGIN" in en.output
    assert "2026-01-02 10:04:05 America/Lima" in es.output
    assert "2026-01-02 10:04:05 America/Lima" in en.output
    assert " sí " in es.output and " yes " in en.output

    es, en = _both(runner, ["jobs", "list"])
    assert "PROGRAMACIÓN" in es.output and "cada hora" in es.output, es.output
    assert "SCHEDULE" in en.output and "every hour" in en.output, en.output

    es, en = _both(runner, ["recent"])
    assert "DURACIÓN" in es.output and "1,2 s" in es.output and "SUCCESS" in es.output
    assert "DURATION" in en.output and "1.2 s" in en.output
    assert "2026-01-02 10:04:05 America/Lima" in es.output

    es, en = _both(runner, ["onus", "list"])
    assert es.output.strip() == "no hay ONUs" and en.output.strip() == "no ONUs"

    for args in (
        ["users", "list", "--json"],
        ["jobs", "list", "--json"],
        ["olts", "list", "--json"],
        ["recent", "--json"],
        ["tokens", "list", "--json"],
    ):
        es, en = _both(runner, args)
        assert es.exit_code == en.exit_code == 0, es.output
        assert json.loads(es.output) == json.loads(en.output), args
        assert es.output == en.output
    jobs = json.loads(runner.invoke(args=["jobs", "list", "--json"], env=SPANISH).output)
    assert {j["schedule"] for j in jobs} == {"every hour", "every 5 minutes"}
    recent = json.loads(runner.invoke(args=["recent", "--json"], env=SPANISH).output)
    assert (recent[0]["started"], recent[0]["duration_s"]) == ("2026-01-02 10:04:05", 1.2)


def test_durations_and_plurals_in_status_and_secrets(app, runner, lab, redis_url):
    from jobs.queues import get_redis
    from jobs.scheduler import LAST_TICK_KEY

    es, en = _both(runner, ["status"])
    assert "planificador: nunca hizo un tic" in es.output
    assert "scheduler: never ticked" in en.output
    get_redis(redis_url).set(LAST_TICK_KEY, (utcnow() - timedelta(seconds=12)).isoformat())
    es, en = _both(runner, ["status"])
    assert "planificador: último tic hace 12 segundos" in es.output, es.output
    assert "scheduler: last tick 12 seconds ago" in en.output, en.output
    assert "ejecuciones, últimas 24 h: ninguna" in es.output

    make_job([make_olt(lab, "huawei-a")])
    es, en = _both(runner, ["status"])
    assert "tareas: 1 (1 habilitada)" in es.output and "jobs: 1 (1 enabled)" in en.output
    es, en = _both(runner, ["secrets", "rotate"])
    assert "1 de 1 OLT cifrada de nuevo con la primera clave" in es.output
    assert "1 of 1 OLT re-encrypted with the first key" in en.output
    zte = make_olt(lab, "zte-a", "ZTE")
    es, en = _both(runner, ["secrets", "rotate"])
    assert "2 de 2 OLTs cifradas de nuevo con la primera clave" in es.output
    assert "2 of 2 OLTs re-encrypted with the first key" in en.output
    make_job([zte], name="second", brand_name="ZTE")
    es = runner.invoke(args=["status"], env=SPANISH)
    assert "tareas: 2 (2 habilitadas)" in es.output
    es, en = _both(runner, ["secrets", "rotate", "--json"])
    assert es.output == en.output == '{"olts": 2, "rotated": 2, "unreadable": []}\n'


def test_manage_cli_in_a_spanish_shell_and_the_worker_pool_started_from_it(
    app, lab, database_url, redis_url
):
    """Real processes: Spanish from `run`, English again with LANGUAGE=en, and the pool
    (a command that keeps the default language) still runs the job under LANG=es."""
    job_id = make_job([make_olt(lab, "huawei-a")]).id
    db.session.commit()
    env = {k: v for k, v in worker_env(database_url, redis_url).items() if k not in POSIX}
    spanish = {**env, "LANG": "es_ES.UTF-8"}
    cli = [sys.executable, str(ROOT / "manage_cli.py")]
    ran = run_subprocess([*cli, "run", str(job_id)], spanish)
    assert ran.returncode == 0, ran.stderr
    assert "Ejecutada 1 tarea: 1 ejecución creada y 1 encolada" in ran.stdout
    english = run_subprocess([*cli, "users", "disable", "nobody"], {**spanish, "LANGUAGE": "en"})
    assert "error: no user 'nobody'" in english.stderr
    pool = run_subprocess([*cli, "worker", "-n", "1", "--burst"], spanish, timeout=120)
    assert pool.returncode == 0, pool.stderr[-2000:]
    lines = (pool.stdout + pool.stderr).splitlines()
    assert any("SUCCESS in" in line for line in lines), lines[-20:]
    db.session.expire_all()
    ex = db.session.scalar(select(Execution))
    assert ex.status == "SUCCESS"


# --- every message a person reads is marked, and has its Spanish ------------------------

# Calls whose text a person reads: (the callee as written, which arguments are the text)
HUMAN_OUTPUT = {
    "click.echo": (0, "message"),
    "click.secho": (0, "message"),
    "click.prompt": (0, "text"),
    "click.confirm": (0, "text"),
    "click.ClickException": (0, "message"),
    "click.BadParameter": (0, "message"),
    "click.UsageError": (0, "message"),
    "click.BadOptionUsage": (1, "message"),
    "click.BadArgumentUsage": (0, "message"),
    "click.FileError": (1, "hint"),
    "ConfigProblem": (0, "message"),
    "_fail": (0, "message"),
    "fail_line": (0, "message"),
    "print": (0,),
    "sys.exit": (0,),  # sys.exit("text") prints the text
    "_emit": (2, "text"),
}
GETTEXT = {"_", "gettext", "ngettext", "lazy_gettext", "_l", "pgettext", "npgettext"}
# Machine output: what these calls are given is printed as data, never as words
MACHINE = {"json.dumps"}
# Explicit exemptions: (file, line's text stripped) -> why it may stay as it is
EXEMPT: dict[tuple[str, str], str] = {}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return ""


def _has_words(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def _bare_text(node: ast.AST) -> ast.AST | None:
    """The first piece of untranslated wording in an expression, if any."""
    if isinstance(node, ast.Constant):
        return node if isinstance(node.value, str) and _has_words(node.value) else None
    if isinstance(node, ast.JoinedStr):
        for part in node.values:
            if isinstance(part, ast.Constant) and _has_words(part.value):
                return node
            if isinstance(part, ast.FormattedValue) and _bare_text(part.value):
                return node
        return None
    if isinstance(node, ast.Call):
        name = _name(node.func)
        if name in GETTEXT or name in MACHINE:
            return None
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
            return _bare_text(node.func.value) or next(
                (n for n in map(_bare_text, node.args) if n), None
            )
        return None
    if isinstance(node, ast.BinOp):  # "  " + _(…), "text %s" % x
        return _bare_text(node.left) or _bare_text(node.right)
    if isinstance(node, ast.IfExp):
        return _bare_text(node.body) or _bare_text(node.orelse)
    if isinstance(node, ast.BoolOp):
        return next((n for n in map(_bare_text, node.values) if n), None)
    return None


def unmarked_messages(source: str, filename: str) -> list[str]:
    """Each call that prints a message a person reads without gettext: "file:line: text"."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call) or _name(node.func) not in HUMAN_OUTPUT:
            continue
        where = HUMAN_OUTPUT[_name(node.func)]
        args = [node.args[i] for i in where if isinstance(i, int) and i < len(node.args)]
        args += [k.value for k in node.keywords if k.arg in where]
        for arg in args:
            bare = _bare_text(arg)
            text = lines[node.lineno - 1].strip()
            if bare is not None and (filename, text) not in EXEMPT:
                found.append(f"{filename}:{node.lineno}: {ast.unparse(bare)}")
    return found


def test_every_message_the_cli_prints_goes_through_gettext():
    found = []
    for path in CLI_FILES:
        found += unmarked_messages(path.read_text(), path.name)
    assert found == [], "messages a person reads, not marked for translation:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "planted",
    [
        'click.echo("unmarked message")',
        'click.echo(f"wrote {n} rows")',
        'click.echo("  " + "note: " + x)',
        '_fail("no such thing")',
        '_fail(f"no OLT named {name!r}")',
        'raise click.ClickException("broken")',
        'raise click.BadParameter("not NAME:SHAPE")',
        'raise click.UsageError(message=f"give {x}")',
        'click.echo(", ".join(names) or "none")',
        'click.echo("error: {}".format(e))',
        'click.echo("skipped %s" % job)',
        'click.echo(_("ok") if x else "never")',
        'sys.exit("fatal")',
        'click.prompt("Password", hide_input=True)',
    ],
)
def test_the_check_finds_a_planted_unmarked_message(planted):
    assert unmarked_messages(planted, "plant.py"), planted


@pytest.mark.parametrize(
    "fine",
    [
        'click.echo(_("seeded profiles: %(names)s", names=x))',
        'click.echo(ngettext("%(num)d job", "%(num)d jobs", n))',
        "click.echo(json.dumps(data))",
        "click.echo(made.token)",
        'click.echo(f"  {key}: {value}")',
        'click.echo("  " + _("result: %(m)s", m=m))',
        "_fail(str(exc))",
        'click.echo("-")',
    ],
)
def test_the_check_lets_marked_and_machine_output_through(fine):
    assert unmarked_messages(fine, "fine.py") == []


def _cli_messages() -> dict[str, str | tuple]:
    """Every msgid in the CLI modules, by Babel's extractor and Flask-Babel's keywords."""
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "lazy_ngettext": (1, 2)}
    found = {}
    for path in CLI_FILES:
        for lineno, message, _comments, _context in extract_from_file(
            "python", str(path), keywords=keywords
        ):
            key = message if isinstance(message, str) else message[0]
            found[key] = (message, f"{path.name}:{lineno}")
    return found


def test_every_cli_message_has_its_spanish():
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    messages = _cli_messages()
    assert len(messages) > 100  # the extractor did find the CLI's messages
    missing, short = [], []
    for key, (message, where) in messages.items():
        entry = catalog.get(key)
        if entry is None or not entry.string:
            missing.append(f"{where}: {key!r}")
            continue
        if isinstance(message, tuple):
            forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            if len(forms) != catalog.num_plurals or not all(forms):
                short.append(f"{where}: {key!r}")
    assert missing == [] and short == [], (missing, short)
    # the placeholders of each translation are the English ones (Babel's own checker)
    errors = [
        f"{m.id!r}: {e}"
        for m, errs in catalog.check()
        if (m.id if isinstance(m.id, str) else m.id[0]) in messages
        for e in errs
    ]
    assert errors == []


def test_checks_shared_with_the_forms_speak_the_cli_language(app, runner):
    """jobs.olts and the validators raise Invalid translated in the locale of the moment:
    the CLI's, in a command."""
    args = ["olts", "add", "x2", "--host", "300.1.1.1", "--community-stdin"]
    es = runner.invoke(args=args, env=SPANISH, input="c\n")
    assert es.exit_code == 1 and "'300.1.1.1' no es una dirección IPv4 válida" in es.output
    en = runner.invoke(args=args, input="c\n")
    assert en.exit_code == 1 and "'300.1.1.1' is not a valid IPv4 address" in en.output
    es = runner.invoke(args=["tokens", "create", "t", "--user", "nobody", "--scope", "fly"],
                       env=SPANISH)  # fmt: skip
    assert es.exit_code == 1 and "error:" in es.output and "Traceback" not in es.output


def test_an_executions_message_reads_in_the_cli_language(app, runner):
    """Stored as a code with parameters; `recent` shows it in the reader's language and
    --json keeps the stored English sentence."""
    from jobs.messages import Message
    from webapp.models import Execution

    ex = Execution(job_name="j", olt_name="o", status="RUNNING")
    db.session.add(ex)
    db.session.commit()
    ex.finish("FAILED", error=Message("worker_lost"))
    db.session.commit()
    es, en = _both(runner, ["recent"])
    assert es.exit_code == 0 and "worker perdido (sin latido)" in es.output, es.output
    assert "worker lost (no heartbeat)" in en.output
    raw = runner.invoke(args=["recent", "--json"], env=SPANISH)
    assert json.loads(raw.output)[0]["error"] == "worker lost (no heartbeat)"
