"""The schema: migrations match the models; values survive the trip through the database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.factories import make_olt
from webapp.extensions import db
from webapp.models import Olt
from webapp.models.base import include_for


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": include_for(conn.dialect.name)}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_times_come_back_timezone_aware_in_utc(app):
    olt = make_olt(None, "x")
    db.session.expire_all()
    created = db.session.get(Olt, olt.id).created_at
    assert created.tzinfo is not None and created.utcoffset().total_seconds() == 0
