"""The JSON API at /api/v1/: OpenAPI 3 at /api/v1/openapi.json, interactive docs at
/api/v1/docs for logged-in staff, bearer tokens with scopes, problem+json errors."""

from __future__ import annotations

from flask import Flask, current_app, request, send_from_directory

from webapp.api.core import API_PREFIX, OltwatchApi, authenticate, make_limiter

DOCS_STATIC = f"{API_PREFIX}/docs/static/"


def _blueprints():
    from webapp.api import alarms, olts, onus, runs

    blueprints = [
        olts.blp,
        onus.blp,
        runs.jobs_blp,
        runs.executions_blp,
        alarms.alarms_blp,
        alarms.events_blp,
        alarms.whoami_blp,
    ]
    for blp in blueprints:  # once per process: the blueprints serve every app made
        if authenticate not in blp.before_request_funcs.get(None, []):
            blp.before_request(authenticate)
    return blueprints


API_DESCRIPTION = """\
oltwatch's API: OLTs, their ONUs, SNMP jobs and their executions, alarms and events.

Every request carries an API token: `Authorization: Bearer oltw_…` (staff make theirs in
the admin under API tokens, or with `manage_cli.py tokens create`). A token's scopes:
**read** (every GET), **run** (run jobs, poll, detect, cancel, run again, acknowledge) and
**write** (add and change OLTs). Lists come in pages: follow `next` until it is null;
`?fields=` keeps only the fields named. Errors are `application/problem+json` (RFC 9457);
invalid fields are listed in `errors`. Requests are limited per token (429 with Retry-After).
SNMP communities and SNMPv3 keys can be set but are never shown.
"""


def init_api(app: Flask) -> OltwatchApi:
    from swagger_ui_bundle import swagger_ui_path

    from webapp.auth import staff_only
    from webapp.extensions import csrf

    app.config.update(
        API_TITLE="oltwatch",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL=DOCS_STATIC,  # served from here, not from a CDN
        OPENAPI_SWAGGER_UI_CONFIG={"persistAuthorization": False},
        API_SPEC_OPTIONS={
            "info": {"description": API_DESCRIPTION},
            "security": [{"bearerAuth": []}],
            "servers": [{"url": "/"}],
        },
    )
    api = OltwatchApi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "An API token"}
    )
    limiter = make_limiter(app)

    def rate() -> str:  # read per request: a running app's limit can be changed
        return current_app.config["API_RATE_LIMIT"]

    for blp in _blueprints():
        csrf.exempt(blp)
        limiter.limit(rate)(blp)
        api.register_blueprint(blp)

    @app.route(f"{DOCS_STATIC}<path:filename>", endpoint="api_docs_static")
    def docs_static(filename):
        return send_from_directory(swagger_ui_path, filename, max_age=86400)

    @app.before_request
    def guard_api_docs():
        if request.endpoint != "api-docs.openapi_swagger_ui":
            return None
        return staff_only()

    return api
