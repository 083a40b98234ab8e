"""Brands, OLT models, OLTs, OIDs, index formulas, state labels and ONUs."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from snmp.indexes import IndexFormula as FormulaSpec
from snmp.profiles.base import ATTRIBUTES
from snmp.values import ValueRule
from webapp.crypto import EncryptedString
from webapp.extensions import db
from webapp.models.base import UTCDateTime, postgresql_only, utcnow

TECHNOLOGIES = ("GPON", "EPON", "XG-PON", "XGS-PON", "GPON/EPON")
SNMP_VERSIONS = ("2c", "1", "3")
# "discovery": a column walked only to enumerate ONUs (its values are not stored); the others
# are the ONU attributes of snmp.profiles.
OID_KINDS = ("discovery", *ATTRIBUTES)
# ONU attribute -> the Onu column that stores it (state also fills state_label)
ATTRIBUTE_COLUMNS = {
    "state": "state_value",
    "serial": "serial",
    "mac": "mac",
    "name": "name",
    "description": "description",
    "onu_model": "onu_model",
    "distance": "distance_m",
    "rx_power": "rx_power_dbm",
    "tx_power": "tx_power_dbm",
    "olt_rx_power": "olt_rx_power_dbm",
    "uptime": "online_since",
    "last_down_cause": "last_down_cause",
    "pon_port": "port",  # tables indexed by serial (UFiber) say the PON in a column
    "plan": "plan",
    "subscriber": "subscriber",
}
assert set(ATTRIBUTE_COLUMNS) == set(ATTRIBUTES), "every attribute needs an Onu column"


class Brand(db.Model):
    """An OLT vendor (Huawei, ZTE…)."""

    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    profile_key: Mapped[str | None] = mapped_column(String(40))

    def __str__(self) -> str:
        return self.name


class OltModel(db.Model):
    """A model of OLT made by a brand."""

    __tablename__ = "olt_models"
    __table_args__ = (UniqueConstraint("brand_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    technology: Mapped[str] = mapped_column(String(10), default="GPON")
    notes: Mapped[str] = mapped_column(Text, default="")
    # The built-in profile that describes this model, when it differs from the brand's.
    profile_key: Mapped[str | None] = mapped_column(String(40))

    brand: Mapped[Brand] = relationship()

    def __str__(self) -> str:
        return f"{self.brand.name} {self.name}" if self.brand else self.name


class Olt(db.Model):
    """An Optical Line Terminal polled over SNMP."""

    __tablename__ = "olts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # brand and model may be unknown until the OLT is detected (auto_detect)
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id"))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("olt_models.id", ondelete="SET NULL"))
    host: Mapped[str] = mapped_column(String(255))
    snmp_port: Mapped[int] = mapped_column(default=161)
    snmp_version: Mapped[str] = mapped_column(String(3), default="2c")
    # secrets: stored encrypted (webapp/crypto.py), write-only everywhere
    community: Mapped[str] = mapped_column(EncryptedString(1024), default="")
    v3_user: Mapped[str] = mapped_column(String(100), default="")
    v3_auth_proto: Mapped[str] = mapped_column(String(10), default="SHA")
    v3_auth_key: Mapped[str] = mapped_column(EncryptedString(1024), default="")
    v3_priv_proto: Mapped[str] = mapped_column(String(10), default="AES")
    v3_priv_key: Mapped[str] = mapped_column(EncryptedString(1024), default="")
    v3_context: Mapped[str] = mapped_column(String(100), default="")
    timeout: Mapped[float] = mapped_column(default=2.0)
    retries: Mapped[int] = mapped_column(default=1)
    max_repetitions: Mapped[int] = mapped_column(default=25)
    enabled: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # model "detect": brand, model and profile come from the OLT's sysObjectID/sysDescr
    auto_detect: Mapped[bool] = mapped_column(default=False)
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detection: Mapped[dict | None] = mapped_column(JSON)  # what was read, what was chosen

    brand: Mapped[Brand | None] = relationship()
    model: Mapped[OltModel | None] = relationship()

    def __str__(self) -> str:
        return self.name

    @property
    def profile_key(self) -> str | None:
        """The built-in profile of the OLT's model, else of its brand (None if unknown)."""
        if self.model is not None and self.model.profile_key:
            return self.model.profile_key
        return self.brand.profile_key if self.brand is not None else None

    @property
    def address(self) -> str:
        """Host and port as shown to people (never the community)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.snmp_port}"


class Oid(db.Model):
    """An SNMP object (usually a table column) and the kind of data it yields.

    The value rule and index suffix of a column that a built-in profile knows come from the
    profile; the value_* columns and index_suffix hold only what an operator changed (NULL =
    as the profile says, or the default of the kind for OIDs no profile knows).
    """

    __tablename__ = "oids"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    oid: Mapped[str] = mapped_column(String(255))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("olt_models.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20), default="discovery")
    mib_name: Mapped[str] = mapped_column(String(150), default="")
    keep_previous: Mapped[bool] = mapped_column(default=False)
    render_hex: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    # Sub-identifiers some tables add after the ONU index (ZTE optics ".1", C-Data ".0.0").
    index_suffix: Mapped[str | None] = mapped_column(String(20))
    # Overrides of snmp.values.ValueRule, one column per field: value_<field>.
    value_parse: Mapped[str | None] = mapped_column(String(20))
    value_scale: Mapped[float | None] = mapped_column()
    value_offset: Mapped[float | None] = mapped_column()
    value_wrap_above: Mapped[int | None] = mapped_column(BigInteger)
    value_wrap_modulus: Mapped[int | None] = mapped_column(BigInteger)
    value_sentinels: Mapped[str | None] = mapped_column(String(200))
    value_round_to: Mapped[int | None] = mapped_column()
    value_valid_min: Mapped[float | None] = mapped_column()
    value_valid_max: Mapped[float | None] = mapped_column()

    brand: Mapped[Brand | None] = relationship()
    model: Mapped[OltModel | None] = relationship()

    def __str__(self) -> str:
        return f"{self.name} ({self.oid})"

    def rule_overrides(self) -> dict:
        """The ValueRule fields an operator set (not NULL), as ValueRule keyword arguments."""
        out = {}
        for f in fields(ValueRule):
            value = getattr(self, f"value_{f.name}")
            if value is None or (f.name == "sentinels" and not value.strip()):
                continue
            out[f.name] = parse_sentinels(value) if f.name == "sentinels" else value
        if self.render_hex:
            out["parse"] = "hex"
        return out

    def set_overrides(self, rule: ValueRule, base: ValueRule) -> None:
        """Store the fields of ``rule`` that differ from ``base`` (the rest become NULL)."""
        for f in fields(ValueRule):
            value, default = getattr(rule, f.name), getattr(base, f.name)
            if f.name == "sentinels":
                value = ", ".join(str(x) for x in value) if value != default else None
            elif value == default:
                value = None
            setattr(self, f"value_{f.name}", value)


RULE_COLUMNS = tuple(f"value_{f.name}" for f in fields(ValueRule))


def parse_sentinels(text: str | None) -> tuple[int | str, ...]:
    """Read "2147483647, 65535" into (2147483647, 65535); non-numbers stay text."""
    out: list[int | str] = []
    for part in (text or "").split(","):
        part = part.strip()
        if part:
            out.append(int(part) if part.lstrip("-").isdigit() else part)
    return tuple(out)


class IndexFormula(db.Model):
    """An operator's index formula for a brand (and model): replaces a built-in one.

    ``profile_formula`` names the built-in formula it replaces ("zte:legacy"); empty, it
    decodes OIDs that no built-in profile knows. Its other columns are the fields of
    snmp.indexes.IndexFormula, one column each.
    """

    __tablename__ = "index_formulas"
    __table_args__ = (UniqueConstraint("brand_id", "model_id", "profile_formula"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("olt_models.id", ondelete="CASCADE"))
    profile_formula: Mapped[str | None] = mapped_column(String(60))
    enabled: Mapped[bool] = mapped_column(default=True)
    mode: Mapped[str] = mapped_column(String(10), default="linear")
    base: Mapped[int] = mapped_column(BigInteger, default=0)
    step_slot: Mapped[int] = mapped_column(BigInteger, default=0)
    step_port: Mapped[int] = mapped_column(BigInteger, default=0)
    shift_frame: Mapped[int] = mapped_column(default=0)
    mask_frame: Mapped[int] = mapped_column(BigInteger, default=0)
    shift_slot: Mapped[int] = mapped_column(default=0)
    mask_slot: Mapped[int] = mapped_column(BigInteger, default=0)
    shift_port: Mapped[int] = mapped_column(default=0)
    mask_port: Mapped[int] = mapped_column(BigInteger, default=0)
    shift_onu: Mapped[int] = mapped_column(default=0)
    mask_onu: Mapped[int] = mapped_column(BigInteger, default=0)
    frame_offset: Mapped[int] = mapped_column(default=0)
    slot_offset: Mapped[int] = mapped_column(default=0)
    port_offset: Mapped[int] = mapped_column(default=0)
    onu_from_dot: Mapped[bool] = mapped_column(default=True)
    onu_offset: Mapped[int] = mapped_column(default=0)

    brand: Mapped[Brand | None] = relationship()
    model: Mapped[OltModel | None] = relationship()

    def __str__(self) -> str:
        return self.name

    def spec(self) -> FormulaSpec:
        """Return the pure decoding parameters for snmp.indexes."""
        values = {}
        for f in fields(FormulaSpec):
            value = getattr(self, f.name)
            values[f.name] = f.default if value is None else value
        return FormulaSpec(**values)

    def set_spec(self, spec: FormulaSpec) -> None:
        """Copy every field of a formula into the columns."""
        for f in fields(FormulaSpec):
            setattr(self, f.name, getattr(spec, f.name))


FORMULA_COLUMNS = tuple(f.name for f in fields(FormulaSpec))


class StateLabel(db.Model):
    """The label of an ONU state value for a brand and model (or brand, or every brand)."""

    __tablename__ = "state_labels"
    __table_args__ = (UniqueConstraint("brand_id", "model_id", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("olt_models.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(String(60))

    brand: Mapped[Brand | None] = relationship()
    model: Mapped[OltModel | None] = relationship()

    def __str__(self) -> str:
        return f"{self.value} = {self.label}"


ONU_SEARCH_COLUMNS = ("serial", "description", "name", "position", "raw_index", "mac")


class Onu(db.Model):
    """One ONU on one OLT, identified by its decoded position whatever table found it.

    ``position`` is "frame/slot/port:onu" (or the ONU's serial where the OLT indexes its
    table by serial); ``raw_index`` is its index in the table that last enumerated it.
    """

    __tablename__ = "onus"
    __table_args__ = (
        UniqueConstraint("olt_id", "position"),
        Index("ix_onus_olt_present", "olt_id", "present"),  # also the list's order (olt first)
        Index("ix_onus_state_label", "state_label"),  # the list's state filter and its count
        # The ONUs an execution changed (its page), and what deleting an execution looks up
        # (the key's SET NULL): without it, each purged execution scanned every ONU (0009).
        Index("ix_onus_last_change_execution", "last_change_execution_id"),
        # The list's search: Flask-Admin ORs `column ILIKE '%term%'` over these columns; a
        # trigram index (pg_trgm) serves a substring search, one multicolumn GIN all of them.
        postgresql_only(
            Index(
                "ix_onus_search_trgm",
                *ONU_SEARCH_COLUMNS,
                postgresql_using="gin",
                postgresql_ops=dict.fromkeys(ONU_SEARCH_COLUMNS, "gin_trgm_ops"),
            )
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    olt_id: Mapped[int] = mapped_column(ForeignKey("olts.id", ondelete="CASCADE"))
    position: Mapped[str] = mapped_column(String(100), index=True)
    raw_index: Mapped[str] = mapped_column(String(200))
    frame: Mapped[int | None] = mapped_column()
    slot: Mapped[int | None] = mapped_column()
    port: Mapped[int | None] = mapped_column()
    onu_id: Mapped[int | None] = mapped_column()
    present: Mapped[bool] = mapped_column(default=True)
    consecutive_misses: Mapped[int] = mapped_column(default=0)
    first_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state_value: Mapped[int | None] = mapped_column()
    state_label: Mapped[str | None] = mapped_column(String(60))
    serial: Mapped[str | None] = mapped_column(String(64), index=True)
    mac: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(100))  # the name the operator gave it
    description: Mapped[str | None] = mapped_column(String(255))
    plan: Mapped[str | None] = mapped_column(String(100))
    distance_m: Mapped[int | None] = mapped_column()
    onu_model: Mapped[str | None] = mapped_column(String(100))
    subscriber: Mapped[str | None] = mapped_column(String(100))
    rx_power_dbm: Mapped[float | None] = mapped_column()
    tx_power_dbm: Mapped[float | None] = mapped_column()
    olt_rx_power_dbm: Mapped[float | None] = mapped_column()
    online_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_down_cause: Mapped[str | None] = mapped_column(String(60))
    collected: Mapped[dict] = mapped_column(JSON, default=dict)
    # no foreign key: a poll writes it on every ONU, and the key's check was a tenth of the
    # store's UPDATE (migration 0007); purging executions sets it to NULL (jobs/housekeeping.py)
    last_execution_id: Mapped[int | None] = mapped_column()
    last_change_execution_id: Mapped[int | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL")
    )

    olt: Mapped[Olt] = relationship()

    def __str__(self) -> str:
        return f"{self.olt.name if self.olt else self.olt_id} {self.position}"
