#!/usr/bin/env python3
"""Operator command line: `python manage_cli.py --help`.

The same commands exist under `flask --app wsgi`, except that there `run` is Flask's
development server: use `flask --app wsgi run-jobs JOB_ID...` instead.
"""

import click
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext
from flask_migrate.cli import db as migrate_commands

from webapp import create_app
from webapp.cli import commands
from webapp.config import ConfigError


class ConfigProblem(click.ClickException):
    """The configuration cannot start the application: one line, exit 2."""

    exit_code = 2


def _create_app():
    try:
        return create_app()
    except ConfigError as exc:
        raise ConfigProblem(str(exc)) from None


class Cli(FlaskGroup):
    """Our commands, listed and explained without building the app.

    FlaskGroup builds the app to list the commands of app.cli, so `--help` failed with a
    ConfigError traceback when no environment was set; here every command is registered on
    the group itself and gets its app context only when it runs.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self.commands.get(name)


def _with_app(command: click.Command) -> click.Command:
    """Run the command (or every command of a group) inside the app context."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _with_app(sub)
    elif command.callback is not None and not getattr(command.callback, "_with_app", False):
        command.callback = with_appcontext(command.callback)
        command.callback._with_app = True
    return command


cli = Cli(create_app=_create_app, add_default_commands=False, help="oltwatch operator commands.")
cli.add_command(shell_command)
cli.add_command(routes_command)
# Flask-Migrate's `db` group (upgrade, downgrade, current…): FlaskGroup would find it on
# app.cli, but this group lists only the commands added here. Its commands already run in
# the app context.
cli.add_command(migrate_commands, "db")
for _command in commands():
    cli.add_command(_with_app(_command))

if __name__ == "__main__":
    cli()
