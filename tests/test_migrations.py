"""Migration 0002 on a database that release 0001 seeded and operators then edited."""

from __future__ import annotations

import importlib.util
import os

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, insert, text

from tests.conftest import ROOT, _postgres_database
from webapp import create_app

MIGRATIONS = str(ROOT / "migrations")


def _module():
    path = ROOT / "migrations" / "versions" / "0002_real_olts.py"
    spec = importlib.util.spec_from_file_location("m0002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else []))
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    gen = _postgres_database(os.environ["TEST_DATABASE_URL"])
    yield next(gen)
    gen.close()


def _seed_like_0001(conn, m) -> dict:
    """What release 0001's seed wrote, plus an operator's edits (its schema: 0001)."""
    ids: dict = {}
    for brand in sorted({f[0] for f in m.SEEDED_FORMULAS}):
        conn.execute(
            text("INSERT INTO brands (name, description, profile_key) VALUES (:n, '', NULL)"),
            {"n": brand},
        )
    brands = dict(conn.execute(text("SELECT name, id FROM brands")).all())
    models = {}
    for brand, model, *_ in m.SEEDED_FORMULAS:
        if model and (brand, model) not in models:
            conn.execute(
                text(
                    "INSERT INTO olt_models (brand_id, name, technology, notes) "
                    "VALUES (:b, :n, 'GPON', '')"
                ),
                {"b": brands[brand], "n": model},
            )
            models[(brand, model)] = conn.execute(text("SELECT max(id) FROM olt_models")).scalar()
    cols = ", ".join(m.FORMULA_FIELDS)
    marks = ", ".join(f":{f}" for f in m.FORMULA_FIELDS)
    for brand, model, key, values in m.SEEDED_FORMULAS:
        row = dict(zip(m.FORMULA_FIELDS, values, strict=True))
        if key == "huawei":
            row["base"] = 4194304000 + 65536  # an operator's edit (frame 1 chassis, say)
        conn.execute(
            text(
                f"INSERT INTO index_formulas (name, brand_id, model_id, enabled, {cols}) "
                f"VALUES (:name, :b, :m, TRUE, {marks})"
            ),
            {**row, "name": f"{key} standard", "b": brands[brand], "m": models.get((brand, model))},
        )
    for brand, model, labels in m.SEEDED_LABELS:
        for value, label in labels.items():
            conn.execute(
                text(
                    "INSERT INTO state_labels (brand_id, model_id, value, label) "
                    "VALUES (:b, :m, :v, :l)"
                ),
                {"b": brands[brand], "m": models.get((brand, model)), "v": value, "l": label},
            )
    conn.execute(
        text(
            "INSERT INTO state_labels (brand_id, model_id, value, label) "
            "VALUES (:b, NULL, 9, 'mine')"
        ),
        {"b": brands["Huawei"]},
    )
    for brand, model, oid, kind, suffix, rule in m.SEEDED_OIDS:
        values = dict(zip(m.OID_RULE_COLUMNS, rule, strict=True))  # 0002's column names
        if oid.endswith("2011.6.128.1.1.2.51.1.4"):
            values["value_scale"] = 0.1  # an operator's edit
        conn.execute(
            text(
                "INSERT INTO oids (name, oid, brand_id, model_id, kind, mib_name, keep_previous,"
                " render_hex, description, index_suffix, value_parse, value_scale, value_offset,"
                " value_wrap_above, value_wrap_modulus, value_sentinels, value_round, value_min,"
                " value_max) VALUES (:name, :oid, :b, :m, :kind, '', FALSE, FALSE, '', :suffix,"
                " :value_parse, :value_scale, :value_offset, :value_wrap_above,"
                " :value_wrap_modulus, :value_sentinels, :value_round_to, :value_valid_min,"
                " :value_valid_max)"
            ),
            {
                "name": oid, "oid": oid, "b": brands[brand], "m": models.get((brand, model)),
                "kind": kind, "suffix": suffix,
                **values,
            },
        )  # fmt: skip
    conn.execute(
        text(
            "INSERT INTO olts (name, brand_id, host, snmp_port, snmp_version, community, v3_user,"
            " v3_auth_proto, v3_auth_key, v3_priv_proto, v3_priv_key, v3_context, timeout,"
            " retries, max_repetitions, enabled, description, created_at) VALUES ('old', :b,"
            " '10.0.0.1', 161, '2c', 'c', '', 'SHA', '', 'AES', '', '', 2, 1, 25, TRUE, '',"
            " '2026-11-01 00:00:00')"
        ),
        {"b": brands["Huawei"]},
    )
    olt = conn.execute(text("SELECT id FROM olts")).scalar()
    for raw, name, seen in (
        ("4194312192.1", "0/1/0:1", "2026-11-01 00:00:00"),
        ("285278465.1", "0/1/0:1", "2026-11-02 00:00:00"),  # the same ONU from another table
        ("4194312192.2", "0/1/0:2", None),
    ):
        conn.execute(
            text(
                "INSERT INTO onus (olt_id, raw_index, name, present, consecutive_misses,"
                " last_seen_at, collected) VALUES (:o, :r, :n, TRUE, 0, :s, '{}')"
            ),
            {"o": olt, "r": raw, "n": name, "s": seen},
        )
    ids.update(brands=brands, models=models, olt=olt)
    return ids


def test_0002_keeps_edits_as_overrides_and_drops_untouched_copies(fresh_url):
    m = _module()
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_url, "SECRET_KEY": "t", "TESTING": True})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0001_initial")
    engine = create_engine(fresh_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        ids = _seed_like_0001(conn, m)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
    with engine.connect() as conn:
        formulas = conn.execute(text("SELECT name, profile_formula FROM index_formulas")).all()
        assert formulas == [("huawei standard", "huawei:onu")]  # the edited one, as an override
        labels = conn.execute(text("SELECT value, label FROM state_labels")).all()
        assert labels == [(9, "mine")]
        rx = conn.execute(
            text(
                "SELECT value_scale, value_parse, value_sentinels, kind FROM oids "
                "WHERE oid = '1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4'"
            )
        ).one()
        assert rx == (0.1, None, None, "rx_power")
        state = conn.execute(
            text("SELECT kind, value_parse FROM oids WHERE oid LIKE '%2011.6.128.1.1.2.46.1.15'")
        ).one()
        assert state == ("state", None)
        untouched = conn.execute(
            text("SELECT count(*) FROM oids WHERE value_scale IS NOT NULL")
        ).scalar()
        assert untouched == 1
        onus = conn.execute(
            text("SELECT position, raw_index, name FROM onus ORDER BY position")
        ).all()
        assert onus == [("0/1/0:1", "285278465.1", None), ("0/1/0:2", "4194312192.2", None)]
        olt = conn.execute(text("SELECT auto_detect, detection FROM olts")).one()
        assert not olt[0] and olt[1] is None
    assert ids["olt"]
    with app.app_context():  # and back, schema-wise
        downgrade(directory=MIGRATIONS, revision="0001_initial")
        from webapp.extensions import db

        db.engine.dispose()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM onus ORDER BY name")).scalars().all() == [
            "0/1/0:1",
            "0/1/0:2",
        ]
    engine.dispose()


LIST_INDEXES = {
    "executions": {
        "ix_executions_created",
        "ix_executions_job_name_created",
        "ix_executions_olt_name_created",
        "ix_executions_trigger_created",
    },
    "onus": {"ix_onus_state_label"},
}


def _indexes(url: str) -> dict[str, set[str]]:
    from sqlalchemy import inspect

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        found = inspect(engine)
        return {t: {i["name"] for i in found.get_indexes(t)} for t in ("executions", "onus")}
    finally:
        engine.dispose()


def _fillfactor(url: str):
    if not url.startswith("postgresql"):
        return None
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        options = conn.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'onus'"))
        found = options.scalar()
    engine.dispose()
    return found


def test_0006_adds_the_list_indexes_and_takes_them_back(fresh_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_url, "SECRET_KEY": "t", "TESTING": True})
    postgresql = fresh_url.startswith("postgresql")
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0006_list_indexes")  # 0008 changes the fill
        from webapp.extensions import db

        db.engine.dispose()
    found = _indexes(fresh_url)
    for table, names in LIST_INDEXES.items():
        assert names <= found[table], table
    assert ("ix_onus_search_trgm" in found["onus"]) is postgresql  # GIN + pg_trgm: PostgreSQL
    assert _fillfactor(fresh_url) == (["fillfactor=70"] if postgresql else None)
    with app.app_context():
        downgrade(directory=MIGRATIONS, revision="0005_onu_history")
        db.engine.dispose()
    found = _indexes(fresh_url)
    assert not (LIST_INDEXES["executions"] & found["executions"])
    assert not ({"ix_onus_state_label", "ix_onus_search_trgm"} & found["onus"])
    assert _fillfactor(fresh_url) is None
    with app.app_context():  # and up again (pg_trgm stayed: CREATE EXTENSION IF NOT EXISTS)
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    assert ("ix_onus_search_trgm" in _indexes(fresh_url)["onus"]) is postgresql


def _last_execution_keys(url: str) -> list:
    from sqlalchemy import inspect

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        keys = inspect(engine).get_foreign_keys("onus")
        return [k for k in keys if k["constrained_columns"] == ["last_execution_id"]]
    finally:
        engine.dispose()


def test_0008_drops_the_last_execution_key_keeps_the_values_and_sets_the_fill(fresh_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_url, "SECRET_KEY": "t", "TESTING": True})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0006_list_indexes")
        from tests.factories import make_olt
        from webapp.extensions import db
        from webapp.models import Execution

        olt = make_olt(name="o").id  # olts are the same at 0006 and at head
        # Only the columns 0006 has (0011 added error_code and error_params): a Core insert
        # of these values and the columns' defaults.
        values = {"olt_id": olt, "job_name": "j", "olt_name": "o"}
        ex = db.session.execute(insert(Execution.__table__).values(**values)).inserted_primary_key[
            0
        ]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    assert len(_last_execution_keys(fresh_url)) == 1
    engine = create_engine(fresh_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        for position, last in (("0/1/0:1", ex), ("0/1/0:2", None)):
            conn.execute(
                text(
                    "INSERT INTO onus (olt_id, position, raw_index, present, consecutive_misses,"
                    " collected, last_execution_id) VALUES (:o, :p, '1', TRUE, 0, '{}', :e)"
                ),
                {"o": olt, "p": position, "e": last},
            )
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    assert _last_execution_keys(fresh_url) == []
    assert "ix_onus_state_label" in _indexes(fresh_url)["onus"]  # the table kept its indexes
    assert _fillfactor(fresh_url) == (["fillfactor=45"] if "postgresql" in fresh_url else None)
    query = text("SELECT position, last_execution_id FROM onus ORDER BY position")
    with engine.begin() as conn:
        assert conn.execute(query).all() == [("0/1/0:1", ex), ("0/1/0:2", None)]
        conn.execute(text("UPDATE onus SET last_execution_id = :e"), {"e": ex + 1000})  # gone
    with app.app_context():
        downgrade(directory=MIGRATIONS, revision="0006_list_indexes")
        db.engine.dispose()
    assert len(_last_execution_keys(fresh_url)) == 1
    assert _fillfactor(fresh_url) == (["fillfactor=70"] if "postgresql" in fresh_url else None)
    with engine.connect() as conn:
        assert conn.execute(query).all() == [("0/1/0:1", None), ("0/1/0:2", None)]
    engine.dispose()


def _execution_columns(url: str) -> set[str]:
    from sqlalchemy import inspect

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        return {c["name"] for c in inspect(engine).get_columns("executions")}
    finally:
        engine.dispose()


def test_0011_adds_the_error_code_and_params_and_keeps_the_old_sentences(fresh_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_url, "SECRET_KEY": "t", "TESTING": True})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0010_tx_thresholds")
        from webapp.extensions import db

        db.engine.dispose()
    assert not {"error_code", "error_params"} & _execution_columns(fresh_url)
    engine = create_engine(fresh_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:  # a row an older version wrote: its English sentence only
        conn.execute(
            text(
                "INSERT INTO executions (job_name, olt_name, job_type, requested_by_name,"
                ' "trigger", queue, attempt, status, created_at, summary, error) VALUES'
                " ('j', 'o', 'poll', '', 'manual', 'q', 0, 'FAILED', CURRENT_TIMESTAMP, '{}',"
                " 'worker lost (no heartbeat)')"
            )
        )
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        from jobs.messages import execution_error
        from webapp.models import Execution

        old = db.session.query(Execution).one()
        assert (old.error, old.error_code, old.error_params) == (
            "worker lost (no heartbeat)",
            None,
            None,
        )
        assert execution_error(old) == "worker lost (no heartbeat)"  # shown as it was
        db.session.remove()
        db.engine.dispose()
    assert {"error_code", "error_params"} <= _execution_columns(fresh_url)
    with app.app_context():
        downgrade(directory=MIGRATIONS, revision="0010_tx_thresholds")
        db.engine.dispose()
    assert not {"error_code", "error_params"} & _execution_columns(fresh_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT error FROM executions")).scalar() == (
            "worker lost (no heartbeat)"
        )
    engine.dispose()
