"""The command line's language, and the words, dates and durations it prints.

A command a person reads speaks the language a Unix tool would: OLTWATCH_LANG if set, else
the POSIX variables (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), matched against LANGUAGES, else
BABEL_DEFAULT_LOCALE. Only commands marked by ``speaks_cli_language`` do: the worker pool,
the scheduler and devstack (and the RQ workers and the web app) keep the default, so their
logs stay English. ``--json`` output never goes through here.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import click
from babel.core import UnknownLocaleError, negotiate_locale, parse_locale
from flask import current_app, g
from flask.cli import with_appcontext
from flask_babel import format_datetime, format_decimal, format_timedelta, refresh
from flask_babel import gettext as _
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

# set on `g` while a command a person reads runs; webapp._select_locale looks at it
CLI_LANGUAGE_FLAG = "_oltwatch_cli_language"


def cli_language(environ: Mapping[str, str], languages, default: str) -> str:
    """The language a command-line tool speaks for this environment.

    OLTWATCH_LANG, when set, decides. Otherwise GNU gettext's rules: LC_ALL, then LC_MESSAGES,
    then LANG give the locale (the first one set); LANGUAGE, a colon-separated priority list,
    comes before it and replaces it, unless the locale is C or POSIX (gettext then ignores
    LANGUAGE). "es_ES.UTF-8" and "es" both choose "es"; nothing in ``languages`` gives
    ``default``.
    """
    own = environ.get("OLTWATCH_LANG", "").strip()
    if own:
        return _match([own], languages) or default
    locale = next(
        (environ[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(k)), ""
    ).strip()
    # an explicit C or POSIX locale; with no locale variable at all, unlike gettext (for
    # which that is C too), LANGUAGE=es alone still gives Spanish
    if locale.split(".")[0] in ("C", "POSIX"):
        return default
    wanted = [p for p in environ.get("LANGUAGE", "").split(":") if p.strip()]
    return _match(wanted or [locale], languages) or default


def _match(candidates: list[str], languages) -> str | None:
    """The first candidate (a POSIX locale name) that ``languages`` has, by Babel's rules."""
    for candidate in candidates:
        try:
            # parse_locale reads "es_ES.UTF-8@euro"; Babel knows no encodings or modifiers
            parts = parse_locale(candidate.strip().split(".")[0].split("@")[0])
        except (ValueError, UnknownLocaleError):
            continue
        name = "_".join(p for p in parts[:2] if p)
        found = negotiate_locale([name], list(languages))
        if found:
            return found
    return None


def selected_cli_language() -> str | None:
    """The CLI's language when a command a person reads is running in this app context."""
    if not g.get(CLI_LANGUAGE_FLAG):
        return None
    config = current_app.config
    return cli_language(os.environ, config["LANGUAGES"], config["BABEL_DEFAULT_LOCALE"])


def unreachable_is_one_line(fn):
    """Turn an unreachable Redis or database into one line and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RedisError as exc:
            click.echo(fail_line(_("Redis unreachable: %(error)s", error=exc)), err=True)
        except SQLAlchemyError as exc:
            first = str(exc).splitlines()[0]
            click.echo(fail_line(_("database unreachable: %(error)s", error=first)), err=True)
        sys.exit(2)

    return wrapper


def speaks_cli_language(command: click.Command) -> click.Command:
    """Run the command (each of a group's) in the CLI's language, in an app context.

    Flask-Babel caches the locale on the app context, and a command may run in one that is
    already there (Click's test runner inside a test's context, FlaskGroup's): the cache is
    dropped on the way in and on the way out, so the language neither comes from nor stays
    in that context.
    """
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            speaks_cli_language(sub)
        return command
    callback = command.callback
    if callback is None or getattr(callback, "_speaks_cli_language", False):
        return command
    callback = unreachable_is_one_line(callback)  # said in the CLI's language too

    @functools.wraps(callback)
    def in_cli_language(*args, **kwargs):
        before = g.get(CLI_LANGUAGE_FLAG)
        setattr(g, CLI_LANGUAGE_FLAG, True)
        refresh()
        try:
            return callback(*args, **kwargs)
        finally:
            setattr(g, CLI_LANGUAGE_FLAG, before)
            refresh()

    command.callback = with_appcontext(in_cli_language)
    command.callback._speaks_cli_language = True
    return command


def fail_line(message: str) -> str:
    """The one line a refused command prints on stderr."""
    return _("error: %(message)s", message=message)


def yes_no(value) -> str:
    if value is None:
        return "-"
    return _("yes") if value else _("no")


def when(value: datetime | str | None, empty: str = "-") -> str:
    """A UTC datetime (or its ISO text) in the configured zone, the zone named:
    "2026-12-03 12:05:00 America/Lima" (sortable, and the same in every language)."""
    if value in (None, ""):
        return empty
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value  # not a date we wrote: shown as it is
    return format_datetime(value, "yyyy-MM-dd HH:mm:ss VV")


def ago(seconds: float) -> str:
    """ "12 seconds ago" / "hace 12 segundos": the admin's words for it."""
    from webapp.admin.base import time_ago

    return time_ago(seconds)


def within(seconds: float) -> str:
    """ "in 30 seconds" / "dentro de 30 segundos"."""
    return _span(seconds, direction=True)


def span(seconds: float) -> str:
    """ "30 seconds" / "30 segundos"."""
    return _span(seconds, direction=False)


def _span(seconds: float, direction: bool) -> str:
    return format_timedelta(
        timedelta(seconds=seconds), granularity="second", threshold=1.5, add_direction=direction
    )


def seconds_figure(seconds: float) -> str:
    """ "1.2 s" / "1,2 s": a measured time, to a tenth of a second."""
    return _("%(seconds)s s", seconds=format_decimal(seconds, "0.0"))


def table(rows: list[dict], columns: Mapping[str, str], show: Callable | None = None) -> None:
    """Rows under their (translated) headings, each column as wide as its widest cell;
    ``show`` turns a (column, value) into the text of a cell."""
    cells = [
        {c: cell(r.get(c)) if show is None else show(c, r.get(c)) for c in columns} for r in rows
    ]
    widths = {c: max([len(h)] + [len(r[c]) for r in cells]) for c, h in columns.items()}
    click.echo("  ".join(h.upper().ljust(widths[c]) for c, h in columns.items()).rstrip())
    for r in cells:
        click.echo("  ".join(r[c].ljust(widths[c]) for c in columns).rstrip())


def cell(value) -> str:
    """A value as a table shows it: "-" for none, yes/no (translated) for a flag."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return yes_no(value)
    return str(value)
