#!/usr/bin/env python3
"""Operator command line: `python manage_cli.py --help`.

The same commands exist under `flask --app wsgi`, except that there `run` is Flask's
development server: use `flask --app wsgi run-jobs JOB_ID...` instead.
"""

from flask.cli import FlaskGroup, routes_command, shell_command

from webapp import create_app


def _create_app():
    return create_app()


# Flask's own `run` (the development server) would hide ours, so it is left out here.
cli = FlaskGroup(
    create_app=_create_app, add_default_commands=False, help="oltwatch operator commands."
)
cli.add_command(shell_command)
cli.add_command(routes_command)

if __name__ == "__main__":
    cli()
