"""Flask extensions, created unbound and bound in create_app."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()

# SQLite takes its write lock when a transaction begins (BEGIN IMMEDIATE), except in code
# that only reads: GET/HEAD/OPTIONS requests and blocks under read_only(). A deferred
# transaction that reads and later writes fails at once if another writer committed in
# between, so everything that may write keeps taking the lock up front.
SQLITE_BUSY_TIMEOUT_MS = 30000  # how long a SQLite writer waits for the write lock
SQLITE_READER_WAIT_MS = 1500  # how long a reader (a GET, /health) waits for a locked file
_READ_ONLY: ContextVar[bool] = ContextVar("oltwatch_read_only", default=False)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@contextmanager
def read_only() -> Iterator[None]:
    """Transactions begun inside this block only read (SQLite: no write lock)."""
    token = _READ_ONLY.set(True)
    try:
        yield
    finally:
        _READ_ONLY.reset(token)


def reads_only() -> bool:
    """True where transactions only read: inside read_only() or a GET/HEAD/OPTIONS request."""
    if _READ_ONLY.get():
        return True
    from flask import has_request_context, request

    return has_request_context() and request.method in READ_METHODS
