"""Build the Flask-Admin interface for one app (never a module-level Admin)."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from webapp.admin.alarms import AlarmRuleView, AlarmView, NotificationView
from webapp.admin.base import StaffIndexView, seconds, time_ago
from webapp.admin.errors import init_error_pages
from webapp.admin.events import EventView
from webapp.admin.executions import ExecutionView
from webapp.admin.home import HomeView
from webapp.admin.inventory import (
    BrandView,
    IndexFormulaView,
    OidView,
    OltModelView,
    StateLabelView,
)
from webapp.admin.jobs import SnmpJobView
from webapp.admin.olts import OltView
from webapp.admin.onus import OnuView
from webapp.admin.profiles import ProfilesView
from webapp.admin.tokens import ApiTokenView
from webapp.admin.users import UserView
from webapp.extensions import db
from webapp.models import (
    Alarm,
    AlarmRule,
    ApiToken,
    Brand,
    Execution,
    IndexFormula,
    Notification,
    Oid,
    Olt,
    OltModel,
    Onu,
    OnuEvent,
    SnmpJob,
    StateLabel,
    User,
)


class StaffMenuLink(MenuLink):
    """A menu link only staff see."""

    def is_accessible(self) -> bool:
        from flask_login import current_user

        return bool(current_user.is_authenticated and current_user.is_staff)


def init_admin(app: Flask) -> Admin:
    """Create the admin with every view, bound to app."""
    admin = Admin(
        app,
        name="oltwatch",
        index_view=HomeView(name=_l("Home"), url="/admin", endpoint="admin"),
        theme=Bootstrap4Theme(swatch="default", fluid=True),
    )
    # numbers and durations in the reader's format, for every admin template
    app.jinja_env.globals.update(seconds=seconds, time_ago=time_ago)
    inventory, jobs = _l("Inventory"), _l("SNMP")
    admin.add_view(
        SnmpJobView(SnmpJob, db, name=_l("SNMP jobs"), category=jobs, endpoint="snmpjob")
    )
    admin.add_view(
        ExecutionView(Execution, db, name=_l("Executions"), category=jobs, endpoint="execution")
    )
    admin.add_view(OidView(Oid, db, name=_l("OIDs"), category=jobs, endpoint="oid"))
    admin.add_view(
        IndexFormulaView(
            IndexFormula, db, name=_l("Index formulas"), category=jobs, endpoint="indexformula"
        )
    )
    admin.add_view(
        StateLabelView(
            StateLabel, db, name=_l("State labels"), category=jobs, endpoint="statelabel"
        )
    )
    admin.add_view(OltView(Olt, db, name=_l("OLTs"), category=inventory, endpoint="olt"))
    admin.add_view(OnuView(Onu, db, name=_l("ONUs"), category=inventory, endpoint="onu"))
    admin.add_view(
        EventView(OnuEvent, db, name=_l("Events"), category=inventory, endpoint="onuevent")
    )
    watch = _l("Alarms")
    admin.add_view(AlarmView(Alarm, db, name=_l("Alarms"), category=watch, endpoint="alarm"))
    admin.add_view(
        AlarmRuleView(AlarmRule, db, name=_l("Alarm rules"), category=watch, endpoint="alarmrule")
    )
    admin.add_view(
        NotificationView(
            Notification, db, name=_l("Notifications"), category=watch, endpoint="notification"
        )
    )
    admin.add_view(BrandView(Brand, db, name=_l("Brands"), category=inventory, endpoint="brand"))
    admin.add_view(
        OltModelView(OltModel, db, name=_l("OLT models"), category=inventory, endpoint="oltmodel")
    )
    admin.add_view(ProfilesView(name=_l("Profiles"), category=jobs, endpoint="profiles"))
    admin.add_view(UserView(User, db, name=_l("Users"), endpoint="user"))
    admin.add_view(ApiTokenView(ApiToken, db, name=_l("API tokens"), endpoint="apitoken"))
    admin.add_link(StaffMenuLink(name=_l("API documentation"), url="/api/v1/docs"))
    admin.add_link(StaffMenuLink(name=_l("RQ dashboard"), url="/admin/rq/", category=jobs))
    init_error_pages(app)
    return admin


__all__ = ["StaffIndexView", "init_admin"]
