"""Plain factory functions for test data (the flaskr shape)."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import Brand, JobHost, Oid, Olt, SnmpJob, User
from webapp.seed import seed_profiles


def make_user(username: str = "noc", staff: bool = True, superuser: bool = False) -> User:
    user = User(username=username, is_staff=staff, is_superuser=superuser)
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


def brand(name: str) -> Brand:
    seed_profiles()
    return db.session.scalar(select(Brand).filter_by(name=name))


def make_olt(lab=None, name: str = "huawei-a", brand_name: str = "Huawei", **overrides) -> Olt:
    b = brand(brand_name)
    fields = dict(
        name=name,
        brand_id=b.id,
        host="127.0.0.1",
        snmp_port=lab.port if lab else 161,
        community=name,
        timeout=1.0,
        retries=1,
    )
    fields.update(overrides)
    olt = Olt(**fields)
    db.session.add(olt)
    db.session.commit()
    return olt


def discovery_oid(brand_name: str = "Huawei", tree: str = "") -> Oid:
    """The Oid row of the brand's first state column (of a tree: ZTE "1012", "1082.500")."""
    from snmp.profiles import PROFILES

    b = brand(brand_name)
    profile = PROFILES[b.profile_key]
    column = next(c for c in profile.candidates("state") if not tree or c.tree == tree)
    return db.session.scalar(select(Oid).filter_by(brand_id=b.id, oid=column.oid))


def make_job(
    olts: list[Olt], name: str = "discovery", brand_name: str = "Huawei", **overrides
) -> SnmpJob:
    b = brand(brand_name)
    # the lab's "zte" shape serves the legacy tree
    tree = "1012" if brand_name == "ZTE" else ""
    fields = dict(
        name=name,
        brand_id=b.id,
        job_type="discovery",
        oid_id=discovery_oid(brand_name, tree).id,
        interval="5m",
    )
    fields.update(overrides)
    job = SnmpJob(**fields)
    job.hosts = [JobHost(olt_id=o.id) for o in olts]
    db.session.add(job)
    db.session.commit()
    return job
