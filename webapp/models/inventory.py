"""Brands, OLT models, OLTs, OIDs, index formulas, state labels and ONUs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from snmp.indexes import IndexFormula as FormulaSpec
from snmp.values import ValueRule
from webapp.extensions import db
from webapp.models.base import UTCDateTime, utcnow

TECHNOLOGIES = ("GPON", "EPON", "XG-PON", "XGS-PON")
SNMP_VERSIONS = ("2c", "1", "3")
OID_KINDS = (
    "discovery",
    "description",
    "serial",
    "mac",
    "plan",
    "distance",
    "onu_model",
    "subscriber",
    "rx_power",
    "tx_power",
    "run_state",
    "name",
    "olt_rx_power",
)


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
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("olt_models.id", ondelete="SET NULL"))
    host: Mapped[str] = mapped_column(String(255))
    snmp_port: Mapped[int] = mapped_column(default=161)
    snmp_version: Mapped[str] = mapped_column(String(3), default="2c")
    community: Mapped[str] = mapped_column(String(255), default="")
    v3_user: Mapped[str] = mapped_column(String(100), default="")
    v3_auth_proto: Mapped[str] = mapped_column(String(10), default="SHA")
    v3_auth_key: Mapped[str] = mapped_column(String(255), default="")
    v3_priv_proto: Mapped[str] = mapped_column(String(10), default="AES")
    v3_priv_key: Mapped[str] = mapped_column(String(255), default="")
    v3_context: Mapped[str] = mapped_column(String(100), default="")
    timeout: Mapped[float] = mapped_column(default=2.0)
    retries: Mapped[int] = mapped_column(default=1)
    max_repetitions: Mapped[int] = mapped_column(default=25)
    enabled: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    brand: Mapped[Brand] = relationship()
    model: Mapped[OltModel | None] = relationship()

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        """Host and port as shown to people (never the community)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.snmp_port}"


class Oid(db.Model):
    """An SNMP object (usually a table column) and the kind of data it yields."""

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
    index_suffix: Mapped[str] = mapped_column(String(20), default="")
    # The value rule (snmp.values.ValueRule), seeded from the brand profile, editable.
    value_parse: Mapped[str] = mapped_column(String(20), default="")
    value_scale: Mapped[float] = mapped_column(default=1.0)
    value_offset: Mapped[float] = mapped_column(default=0.0)
    value_wrap_above: Mapped[int | None] = mapped_column(BigInteger)
    value_wrap_modulus: Mapped[int] = mapped_column(BigInteger, default=0)
    value_sentinels: Mapped[str] = mapped_column(String(200), default="")
    value_round: Mapped[int | None] = mapped_column()
    value_min: Mapped[float | None] = mapped_column()
    value_max: Mapped[float | None] = mapped_column()

    brand: Mapped[Brand | None] = relationship()
    model: Mapped[OltModel | None] = relationship()

    def __str__(self) -> str:
        return f"{self.name} ({self.oid})"

    def rule(self) -> ValueRule:
        """Return the value rule as snmp.values understands it (hex forced by render_hex)."""
        parse = "hex" if self.render_hex else (self.value_parse or _default_parse(self.kind))
        return ValueRule(
            parse=parse,
            scale=self.value_scale if self.value_scale is not None else 1,
            offset=self.value_offset or 0,
            wrap_above=self.value_wrap_above,
            wrap_modulus=self.value_wrap_modulus or 0,
            sentinels=parse_sentinels(self.value_sentinels),
            round_to=self.value_round,
            valid_min=self.value_min,
            valid_max=self.value_max,
        )

    def set_rule(self, rule: ValueRule) -> None:
        """Copy a profile's value rule into the columns."""
        self.value_parse, self.value_scale, self.value_offset = rule.parse, rule.scale, rule.offset
        self.value_wrap_above, self.value_wrap_modulus = rule.wrap_above, rule.wrap_modulus
        self.value_sentinels = ", ".join(str(s) for s in rule.sentinels)
        self.value_round, self.value_min, self.value_max = (
            rule.round_to,
            rule.valid_min,
            rule.valid_max,
        )


def _default_parse(kind: str) -> str:
    return {
        "serial": "serial",
        "mac": "mac",
        "distance": "int",
        "run_state": "int",
        "discovery": "int",
    }.get(kind, "text")


def parse_sentinels(text: str | None) -> tuple[int | str, ...]:
    """Read "2147483647, 65535" into (2147483647, 65535); non-numbers stay text."""
    out: list[int | str] = []
    for part in (text or "").split(","):
        part = part.strip()
        if part:
            out.append(int(part) if part.lstrip("-").isdigit() else part)
    return tuple(out)


class IndexFormula(db.Model):
    """How to decode an ONU table index into frame/slot/port/ONU for a brand (and model)."""

    __tablename__ = "index_formulas"
    __table_args__ = (UniqueConstraint("brand_id", "model_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("olt_models.id", ondelete="CASCADE"))
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
        return FormulaSpec(
            mode=self.mode,
            base=self.base or 0,
            step_slot=self.step_slot or 0,
            step_port=self.step_port or 0,
            shift_frame=self.shift_frame or 0,
            mask_frame=self.mask_frame or 0,
            shift_slot=self.shift_slot or 0,
            mask_slot=self.mask_slot or 0,
            shift_port=self.shift_port or 0,
            mask_port=self.mask_port or 0,
            shift_onu=self.shift_onu or 0,
            mask_onu=self.mask_onu or 0,
            frame_offset=self.frame_offset or 0,
            slot_offset=self.slot_offset or 0,
            port_offset=self.port_offset or 0,
            onu_from_dot=bool(self.onu_from_dot),
            onu_offset=self.onu_offset or 0,
        )


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


class Onu(db.Model):
    """One ONU seen on one OLT: where it sits, whether it is present, what was collected."""

    __tablename__ = "onus"
    __table_args__ = (
        UniqueConstraint("olt_id", "raw_index"),
        Index("ix_onus_olt_present", "olt_id", "present"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    olt_id: Mapped[int] = mapped_column(ForeignKey("olts.id", ondelete="CASCADE"))
    raw_index: Mapped[str] = mapped_column(String(100))
    frame: Mapped[int | None] = mapped_column()
    slot: Mapped[int | None] = mapped_column()
    port: Mapped[int | None] = mapped_column()
    onu_id: Mapped[int | None] = mapped_column()
    name: Mapped[str] = mapped_column(String(60), index=True)
    present: Mapped[bool] = mapped_column(default=True)
    consecutive_misses: Mapped[int] = mapped_column(default=0)
    first_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state_value: Mapped[int | None] = mapped_column()
    state_label: Mapped[str | None] = mapped_column(String(60))
    serial: Mapped[str | None] = mapped_column(String(64), index=True)
    mac: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(String(255))
    plan: Mapped[str | None] = mapped_column(String(100))
    distance_m: Mapped[int | None] = mapped_column()
    onu_model: Mapped[str | None] = mapped_column(String(100))
    subscriber: Mapped[str | None] = mapped_column(String(100))
    rx_power_dbm: Mapped[float | None] = mapped_column()
    tx_power_dbm: Mapped[float | None] = mapped_column()
    olt_rx_power_dbm: Mapped[float | None] = mapped_column()
    collected: Mapped[dict] = mapped_column(JSON, default=dict)
    last_execution_id: Mapped[int | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL")
    )
    last_change_execution_id: Mapped[int | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL")
    )

    olt: Mapped[Olt] = relationship()

    def __str__(self) -> str:
        return f"{self.olt.name if self.olt else self.olt_id} {self.name}"
