"""The API's plumbing: flask-smorest's Api with our errors, bearer tokens with scopes,
rate limits per token (Flask-Limiter on our Redis), cursor pages and ?fields=.

flask-smorest rather than APIFlask: APIFlask wants its own application class, while
flask-smorest's Api and Blueprints attach to the plain Flask app that Flask-Admin, the
login and rq-dashboard already live in; both use marshmallow and apispec.
"""

from __future__ import annotations

import base64
import binascii
import http
import logging

import marshmallow as ma
from flask import current_app, g, jsonify, request, url_for
from flask_limiter import Limiter
from flask_smorest import Api, abort
from flask_smorest.utils import prepare_response
from sqlalchemy import Select

from webapp.extensions import db

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
SCOPE_ATTR = "_api_scope"
API_PREFIX = "/api/v1"
ID = "int(min=1, max=2147483647)"  # ids in paths: what the columns hold, else 404


class ProblemSchema(ma.Schema):
    """An error as RFC 9457 (problem details) describes it."""

    type = ma.fields.String(metadata={"description": "A URI naming the kind of problem"})
    title = ma.fields.String(required=True, metadata={"description": "The HTTP status' name"})
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(metadata={"description": "What went wrong, for a person"})
    errors = ma.fields.Dict(
        metadata={"description": "Invalid fields: field name -> messages (422)"}
    )
    skipped = ma.fields.List(
        ma.fields.Dict(), metadata={"description": "Skip reasons of a run that created nothing"}
    )
    report = ma.fields.Dict(metadata={"description": "A run-now's report (409, 503)"})


class OltwatchApi(Api):
    """flask-smorest's Api; errors are answered by webapp.admin.errors (problem+json under
    /api/, pages elsewhere), so the Api registers no handler of its own for every error of
    the whole application."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass

    def _register_responses(self):
        # flask-smorest documents errors as application/json; ours are problem+json
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def problem_body(error) -> tuple[dict, dict]:
    """(problem+json body, extra headers) of an HTTPException raised in the API."""
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    body: dict = {"type": "about:blank", "title": error.name, "status": code}
    detail = data.get("message") or (error.description if code != 500 else None)
    if code == 500:
        detail = "The error was logged. Try again in a moment, or tell the administrator."
    errors = data.get("errors") or data.get("messages")
    if errors:
        body["errors"] = _flatten(errors)
        detail = data.get("message") or "Some fields are not valid: " + ", ".join(
            sorted(body["errors"])
        )
    if detail:
        body["detail"] = str(detail)
    for key in ("skipped", "report"):
        if key in data:
            body[key] = data[key]
    headers = dict(data.get("headers") or {})
    if code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="oltwatch"')
    return body, headers


def _flatten(errors: dict) -> dict:
    """webargs' {"query": {"field": [...]}} (or {"json": …}) as {"field": [...]}."""
    if set(errors) <= {"query", "json", "form", "headers", "path", "view_args", "files"}:
        out: dict = {}
        for per_location in errors.values():
            if isinstance(per_location, dict):
                out.update(per_location)
            else:
                out.setdefault("_schema", []).extend(per_location)
        return out
    return errors


def problem(code: int, detail: str, **extra):
    """Stop the request with a problem+json (flask-smorest's abort keeps the extras)."""
    abort(code, message=detail, **extra)


# ---------------------------------------------------------------- scopes and tokens


def scope(name: str):
    """The scope a view method needs (GET needs read; anything else write unless told)."""

    def mark(method):
        setattr(method, SCOPE_ATTR, name)
        return method

    return mark


def _needed_scope() -> str:
    view = current_app.view_functions.get(request.endpoint)
    cls = getattr(view, "view_class", None)
    method = getattr(cls, request.method.lower(), None) if cls else view
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return getattr(method, SCOPE_ATTR, "read")
    return getattr(method, SCOPE_ATTR, "write")


def current_token():
    """The request's API token row (cached), or None when there is no valid bearer token."""
    if "api_token" not in g:
        from webapp.tokens import find_token

        header = request.headers.get("Authorization", "")
        kind, _, value = header.partition(" ")
        g.api_token = find_token(value.strip()) if kind.lower() == "bearer" else None
    return g.api_token


def authenticate() -> None:
    """before_request of every API blueprint: a valid token with the scope needed."""
    from webapp.tokens import note_use

    if request.method == "OPTIONS":
        return
    token = current_token()
    if token is None:
        if not request.headers.get("Authorization"):
            problem(401, "Send an API token: Authorization: Bearer <token>.")
        problem(401, "The API token is not valid: unknown, expired or revoked.")
    needed = _needed_scope()
    if needed not in token.scope_set:
        problem(403, f"This API token may not do this: it needs the {needed!r} scope.")
    g.api_user = token.user
    note_use(token, request.remote_addr)


def api_user():
    return g.api_user


# ---------------------------------------------------------------- rate limits


def _rate_key() -> str:
    token = current_token()
    if token is not None:
        return f"token:{token.token_hash[:20]}"
    return f"addr:{request.remote_addr}"


def make_limiter(app) -> Limiter:
    """Flask-Limiter on the project's Redis (Sentinel too: the client is ours); limits are
    applied to the API blueprints only. Should Redis fail, requests are let through
    (in-memory limits meanwhile) rather than refused."""
    from jobs.queues import get_redis

    limiter = Limiter(
        key_func=_rate_key,
        storage_uri="redis://",
        storage_options={"connection_pool": get_redis(app.config["REDIS_URL"]).connection_pool},
        strategy="moving-window",
        headers_enabled=True,
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        key_prefix="oltwatch-api",
    )
    limiter.init_app(app)
    return limiter


# ---------------------------------------------------------------- pages and fields


class PageArgs(ma.Schema):
    """A page of a list: the next page is the `next` link of the one before."""

    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(1, MAX_LIMIT),
        metadata={"description": f"Items per page (1 to {MAX_LIMIT})"},
    )
    cursor = ma.fields.String(
        validate=[
            ma.validate.Length(max=40),
            ma.validate.Regexp(r"^[A-Za-z0-9_-]*$", error="Not a cursor of this list."),
        ],
        metadata={"description": "Where the page starts: take it from the last page's `next`"},
    )
    fields = ma.fields.String(
        validate=[ma.validate.Length(max=500), ma.validate.Regexp(r"^[a-z0-9_, ]*$")],
        metadata={"description": "Only these fields, comma-separated (e.g. id,serial,rx_dbm)"},
    )


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The envelope of a list: {"items": [...], "next": url or null}."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item), required=True),
            "next": ma.fields.String(
                required=True,
                allow_none=True,
                metadata={"description": "The next page's URL; null on the last page"},
            ),
        },
    )


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"i{value}".encode()).decode().rstrip("=")


def decode_cursor(text: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
        if raw[:1] != "i" or not raw[1:].isdigit() or len(raw) > 20:
            raise ValueError
        return int(raw[1:])
    except (binascii.Error, ValueError, UnicodeDecodeError):
        abort(422, errors={"cursor": ["Not a cursor of this list: use the `next` link."]})


def field_list(item: type[ma.Schema], text: str | None) -> tuple[str, ...] | None:
    if not text:
        return None
    names = tuple(dict.fromkeys(f.strip() for f in text.split(",") if f.strip()))
    known = item().dump_fields
    unknown = [n for n in names if n not in known]
    if unknown:
        abort(
            422,
            errors={
                "fields": [f"Unknown field(s) {', '.join(unknown)}; known: {', '.join(known)}"]
            },
        )
    if "id" not in names:
        names = ("id", *names)
    return names


def keyset_page(
    query: Select,
    id_column,
    args: dict,
    item: type[ma.Schema],
    newest_first: bool = False,
    rows_of=None,
):
    """One page of ``query`` in a stable order (by id), with the next page's link.

    Keyset pages (WHERE id > cursor) cost the same on page 1 and page 10,000 and never skip
    or repeat a row when rows come and go meanwhile, which OFFSET pages do."""
    limit = args["limit"]
    if args.get("cursor"):
        after = decode_cursor(args["cursor"])
        query = query.where(id_column < after if newest_first else id_column > after)
    query = query.order_by(id_column.desc() if newest_first else id_column).limit(limit + 1)
    rows = list(db.session.scalars(query)) if rows_of is None else rows_of(query)
    more = len(rows) > limit
    rows = rows[:limit]
    only = field_list(item, args.get("fields"))
    items = item(many=True, only=only).dump(rows)
    next_url = None
    if more:
        params = {k: v for k, v in request.args.items() if k != "cursor"}
        params["cursor"] = encode_cursor(_id_of(rows[-1]))
        next_url = url_for(request.endpoint, _external=True, **(request.view_args or {}), **params)
    # Dumped here (with ?fields=) and returned as a Response, which flask-smorest passes on
    # as it is; the page schema still documents it.
    response = jsonify({"items": items, "next": next_url})
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


def _id_of(row) -> int:
    return row["id"] if isinstance(row, dict) else row.id


class With:
    """An object seen with a few more attributes (counts a query added) for a schema."""

    def __init__(self, obj, **extra):
        self._obj = obj
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self._obj, name)


def olt_named(name: str):
    """The id of the OLT of this name, as a subquery (no such OLT: no rows)."""
    from sqlalchemy import select

    from webapp.models import Olt

    return select(Olt.id).where(Olt.name == name).scalar_subquery()


def get_or_404(model, ident: int, what: str):
    """The row of ``model`` with this id, or a 404 problem naming ``what``."""
    row = db.session.get(model, ident)
    if row is None:
        problem(404, f"There is no {what} {ident}.")
    return row


def run_label() -> str:
    """How executions a token asked for are labelled: "api:<token name>"."""
    return f"api:{g.api_token.name}"[:100]
