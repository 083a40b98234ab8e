"""Real OLTs: detection, ONU identity by position, profile overrides instead of copies

- olts: brand may be unknown until detected; auto_detect, detected_at, detection.
- onus: identified by (olt, position) whatever table found them; name is now the name the
  operator gave the ONU (the position moved to `position`); online_since, last_down_cause.
- oids: value_* and index_suffix hold only operators' edits (NULL = the profile's);
  value_round/min/max renamed after the ValueRule fields.
- index_formulas: profile_formula names the built-in formula a row replaces.
- Data: rows the 0001 seed copied from the built-in profiles and nobody edited are removed
  (formulas, state labels) or emptied (OID rule fields), so that fixed profiles reach every
  installation; operators' edits stay as overrides.

Revision ID: 0002_real_olts
Revises: 0001_initial
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_real_olts"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

# What release 0001's seed wrote (generated from its snmp/profiles): rows still equal to
# these are copies of the built-in profiles, not operators' edits.
FORMULA_FIELDS = ('mode', 'base', 'step_slot', 'step_port', 'shift_frame', 'mask_frame', 'shift_slot', 'mask_slot', 'shift_port', 'mask_port', 'shift_onu', 'mask_onu', 'frame_offset', 'slot_offset', 'port_offset', 'onu_from_dot', 'onu_offset')
SEEDED_FORMULAS = [('Huawei', None, 'huawei',
  ('linear', 4194304000, 8192, 256, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, True, 0)),
 ('ZTE', None, 'zte',
  ('bitshift', 268435456, 0, 0, 24, 15, 16, 255, 8, 255, 0, 0, 1, 0, 0, True, 0)),
 ('ZTE', 'C320 V2.1', 'zte_v21',
  ('bitshift', 285212672, 0, 0, 16, 255, 8, 255, 0, 255, 0, 0, 0, 0, 0, True, 0)),
 ('ZTE', 'C300 V2.1', 'zte_v21',
  ('bitshift', 285212672, 0, 0, 16, 255, 8, 255, 0, 255, 0, 0, 0, 0, 0, True, 0)),
 ('ZTE', 'C600', 'zte_c600',
  ('bitshift', 285212672, 0, 0, 16, 255, 8, 255, 0, 255, 0, 0, 0, 0, 0, True, 0)),
 ('ZTE', 'C620', 'zte_c600',
  ('bitshift', 285212672, 0, 0, 16, 255, 8, 255, 0, 255, 0, 0, 0, 0, 0, True, 0)),
 ('FiberHome', None, 'fiberhome',
  ('bitshift', 0, 0, 0, 0, 0, 25, 63, 19, 63, 8, 2047, 0, 0, 0, False, 0)),
 ('V-SOL', None, 'vsol_epon', ('linear', 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, True, 0)),
 ('V-SOL', 'V1600G', 'vsol_gpon', ('linear', 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, True, 0)),
 ('V-SOL', 'V1600GS', 'vsol_gpon', ('linear', 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, True, 0)),
 ('C-Data', None, 'cdata_gpon',
  ('bitshift', 0, 0, 0, 24, 255, 16, 255, 8, 255, 0, 255, 0, 0, 0, False, 0)),
 ('C-Data', 'FD1104', 'cdata_epon',
  ('bitshift', 0, 0, 0, 24, 255, 16, 255, 8, 255, 0, 255, 0, 0, 0, False, 0)),
 ('C-Data', 'FD1108', 'cdata_epon',
  ('bitshift', 0, 0, 0, 24, 255, 16, 255, 8, 255, 0, 255, 0, 0, 0, False, 0)),
 ('C-Data', 'FD1216', 'cdata_epon',
  ('bitshift', 0, 0, 0, 24, 255, 16, 255, 8, 255, 0, 255, 0, 0, 0, False, 0)),
 ('Generic', None, 'generic', ('ifname', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, False, 0))]
SEEDED_LABELS = [('Huawei', None, {-1: 'invalid', 1: 'online', 2: 'offline'}),
 ('ZTE', None,
  {1: 'logging',
   2: 'los',
   3: 'syncMib',
   4: 'working',
   5: 'dyingGasp',
   6: 'authFailed',
   7: 'offline'}),
 ('ZTE', 'C320 V2.1',
  {1: 'logging',
   2: 'los',
   3: 'syncMib',
   4: 'working',
   5: 'dyingGasp',
   6: 'authFailed',
   7: 'offline'}),
 ('ZTE', 'C300 V2.1',
  {1: 'logging',
   2: 'los',
   3: 'syncMib',
   4: 'working',
   5: 'dyingGasp',
   6: 'authFailed',
   7: 'offline'}),
 ('ZTE', 'C600',
  {1: 'logging',
   2: 'los',
   3: 'syncMib',
   4: 'working',
   5: 'dyingGasp',
   6: 'authFailed',
   7: 'offline'}),
 ('ZTE', 'C620',
  {1: 'logging',
   2: 'los',
   3: 'syncMib',
   4: 'working',
   5: 'dyingGasp',
   6: 'authFailed',
   7: 'offline'}),
 ('FiberHome', None, {0: 'fiber cut', 1: 'online', 2: 'power cut', 3: 'offline'}),
 ('V-SOL', None, {0: 'unknown', 1: 'online', 2: 'offline', 3: 'los'}),
 ('V-SOL', 'V1600G',
  {0: 'logging',
   1: 'los',
   2: 'syncMib',
   3: 'working',
   4: 'dyingGasp',
   5: 'authFail',
   6: 'offLine'}),
 ('V-SOL', 'V1600GS',
  {0: 'logging',
   1: 'los',
   2: 'syncMib',
   3: 'working',
   4: 'dyingGasp',
   5: 'authFail',
   6: 'offLine'}),
 ('C-Data', None, {1: 'up', 2: 'down'}), ('C-Data', 'FD1104', {1: 'up', 2: 'down', 3: 'testing'}),
 ('C-Data', 'FD1108', {1: 'up', 2: 'down', 3: 'testing'}),
 ('C-Data', 'FD1216', {1: 'up', 2: 'down', 3: 'testing'}),
 ('Generic', None,
  {1: 'up',
   2: 'down',
   3: 'testing',
   4: 'unknown',
   5: 'dormant',
   6: 'notPresent',
   7: 'lowerLayerDown'})]
RULE_FIELDS = ('parse', 'scale', 'offset', 'wrap_above', 'wrap_modulus', 'sentinels', 'round_to', 'valid_min', 'valid_max')
SEEDED_OIDS = [('Huawei', None, '1.3.6.1.4.1.2011.6.128.1.1.2.46.1.15', 'discovery', '',
  ('int', 1, 0, None, 0, '', None, None, None)),
 ('Huawei', None, '1.3.6.1.4.1.2011.6.128.1.1.2.43.1.3', 'serial', '',
  ('serial', 1, 0, None, 0, '', None, None, None)),
 ('Huawei', None, '1.3.6.1.4.1.2011.6.128.1.1.2.43.1.9', 'description', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('Huawei', None, '1.3.6.1.4.1.2011.6.128.1.1.2.45.1.4', 'onu_model', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('Huawei', None, '1.3.6.1.4.1.2011.6.128.1.1.2.46.1.20', 'distance', '',
  ('int', 1, 0, None, 0, '', None, 0, None)),
 ('Huawei', None, '1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4', 'rx_power', '',
  ('int', 0.01, 0, None, 0, '2147483647, -2147483648', 2, None, None)),
 ('Huawei', None, '1.3.6.1.4.1.2011.6.128.1.1.2.51.1.3', 'tx_power', '',
  ('int', 0.01, 0, None, 0, '2147483647, -2147483648', 2, None, None)),
 ('Huawei', None, '1.3.6.1.4.1.2011.6.128.1.1.2.51.1.6', 'olt_rx_power', '',
  ('int', 0.01, -100, None, 0, '2147483647, -2147483648', 2, None, None)),
 ('ZTE', None, '1.3.6.1.4.1.3902.1012.3.28.2.1.4', 'discovery', '',
  ('int', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', None, '1.3.6.1.4.1.3902.1012.3.28.1.1.2', 'name', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', None, '1.3.6.1.4.1.3902.1012.3.28.1.1.3', 'description', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', None, '1.3.6.1.4.1.3902.1012.3.28.1.1.5', 'serial', '',
  ('serial', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', None, '1.3.6.1.4.1.3902.1012.3.28.1.1.1', 'onu_model', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', None, '1.3.6.1.4.1.3902.1012.3.11.4.1.2', 'distance', '',
  ('int', 1, 0, None, 0, '', None, 0, None)),
 ('ZTE', None, '1.3.6.1.4.1.3902.1012.3.50.12.1.1.10', 'rx_power', '.1',
  ('int', 0.002, -30, 30000, 65535, '65535', 3, None, None)),
 ('ZTE', None, '1.3.6.1.4.1.3902.1012.3.50.12.1.1.14', 'tx_power', '.1',
  ('int', 0.002, -30, 30000, 65535, '65535', 3, None, None)),
 ('ZTE', None, '1.3.6.1.4.1.3902.1015.1010.11.2.1.2', 'olt_rx_power', '',
  ('int', 0.001, 0, None, 0, '-80000', 3, None, None)),
 ('ZTE', 'C320 V2.1', '1.3.6.1.4.1.3902.1082.500.10.2.3.8.1.4', 'discovery', '',
  ('int', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', 'C320 V2.1', '1.3.6.1.4.1.3902.1082.500.10.2.3.3.1.2', 'name', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', 'C320 V2.1', '1.3.6.1.4.1.3902.1082.500.10.2.3.3.1.3', 'description', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', 'C320 V2.1', '1.3.6.1.4.1.3902.1082.500.10.2.3.3.1.18', 'serial', '',
  ('serial', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', 'C320 V2.1', '1.3.6.1.4.1.3902.1082.500.10.2.3.3.1.1', 'onu_model', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', 'C320 V2.1', '1.3.6.1.4.1.3902.1082.500.10.2.3.10.1.2', 'distance', '',
  ('int', 1, 0, None, 0, '', None, 0, None)),
 ('ZTE', 'C320 V2.1', '1.3.6.1.4.1.3902.1082.500.20.2.2.2.1.10', 'rx_power', '.1',
  ('int', 0.002, -30, 30000, 65535, '65535', 3, None, None)),
 ('ZTE', 'C320 V2.1', '1.3.6.1.4.1.3902.1082.500.20.2.2.2.1.14', 'tx_power', '.1',
  ('int', 0.002, -30, 30000, 65535, '65535', 3, None, None)),
 ('ZTE', 'C320 V2.1', '1.3.6.1.4.1.3902.1082.500.1.2.4.2.1.2', 'olt_rx_power', '',
  ('int', 0.001, 0, None, 0, '-80000', 3, None, None)),
 ('ZTE', 'C600', '1.3.6.1.4.1.3902.1082.500.10.2.3.8.1.4', 'discovery', '',
  ('int', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', 'C600', '1.3.6.1.4.1.3902.1082.500.10.2.3.3.1.2', 'name', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', 'C600', '1.3.6.1.4.1.3902.1082.500.10.2.3.3.1.3', 'description', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', 'C600', '1.3.6.1.4.1.3902.1082.500.10.2.3.3.1.6', 'serial', '',
  ('serial', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', 'C600', '1.3.6.1.4.1.3902.1082.500.10.2.3.3.1.1', 'onu_model', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('ZTE', 'C600', '1.3.6.1.4.1.3902.1082.500.10.2.3.10.1.2', 'distance', '',
  ('int', 1, 0, None, 0, '', None, 0, None)),
 ('ZTE', 'C600', '1.3.6.1.4.1.3902.1082.500.20.2.2.2.1.10', 'rx_power', '.1',
  ('int', 0.002, -30, 30000, 65535, '65535', 3, None, None)),
 ('ZTE', 'C600', '1.3.6.1.4.1.3902.1082.500.20.2.2.2.1.14', 'tx_power', '.1',
  ('int', 0.002, -30, 30000, 65535, '65535', 3, None, None)),
 ('ZTE', 'C600', '1.3.6.1.4.1.3902.1082.500.1.2.4.2.1.2', 'olt_rx_power', '',
  ('int', 0.001, 0, None, 0, '-80000, 65535000, 65535', 3, None, None)),
 ('FiberHome', None, '1.3.6.1.4.1.5875.800.3.10.1.1.11', 'discovery', '',
  ('int', 1, 0, None, 0, '', None, None, None)),
 ('FiberHome', None, '1.3.6.1.4.1.5875.800.3.10.1.1.7', 'name', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('FiberHome', None, '1.3.6.1.4.1.5875.800.3.10.1.1.10', 'serial', '',
  ('serial', 1, 0, None, 0, '', None, None, None)),
 ('FiberHome', None, '1.3.6.1.4.1.5875.800.3.10.1.1.5', 'onu_model', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('FiberHome', None, '1.3.6.1.4.1.5875.800.3.9.3.3.1.3', 'description', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('FiberHome', None, '1.3.6.1.4.1.5875.800.3.9.3.3.1.6', 'rx_power', '',
  ('int', 0.01, 0, None, 0, '', 2, None, None)),
 ('FiberHome', None, '1.3.6.1.4.1.5875.800.3.9.3.3.1.7', 'tx_power', '',
  ('int', 0.01, 0, None, 0, '', 2, None, None)),
 ('V-SOL', None, '1.3.6.1.4.1.37950.1.1.5.12.1.25.1.4', 'discovery', '',
  ('int', 1, 0, None, 0, '', None, None, None)),
 ('V-SOL', None, '1.3.6.1.4.1.37950.1.1.5.12.1.25.1.5', 'mac', '',
  ('mac', 1, 0, None, 0, '', None, None, None)),
 ('V-SOL', None, '1.3.6.1.4.1.37950.1.1.5.12.1.25.1.9', 'description', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('V-SOL', None, '1.3.6.1.4.1.37950.1.1.5.12.1.25.1.17', 'distance', '',
  ('int', 1, 0, None, 0, '', None, 0, None)),
 ('V-SOL', None, '1.3.6.1.4.1.37950.1.1.5.12.2.1.2.1.5', 'serial', '',
  ('serial', 1, 0, None, 0, '', None, None, None)),
 ('V-SOL', None, '1.3.6.1.4.1.37950.1.1.5.12.2.1.2.1.4', 'onu_model', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('V-SOL', None, '1.3.6.1.4.1.37950.1.1.5.12.2.1.8.1.7', 'rx_power', '',
  ('dbm_text', 1, 0, None, 0, '', 2, None, None)),
 ('V-SOL', None, '1.3.6.1.4.1.37950.1.1.5.12.2.1.8.1.6', 'tx_power', '',
  ('dbm_text', 1, 0, None, 0, '', 2, None, None)),
 ('V-SOL', 'V1600G', '1.3.6.1.4.1.37950.1.1.6.1.1.1.1.5', 'discovery', '',
  ('int', 1, 0, None, 0, '', None, None, None)),
 ('V-SOL', 'V1600G', '1.3.6.1.4.1.37950.1.1.6.1.1.4.1.5', 'serial', '',
  ('serial', 1, 0, None, 0, '', None, None, None)),
 ('V-SOL', 'V1600G', '1.3.6.1.4.1.37950.1.1.6.1.1.4.1.17', 'onu_model', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('V-SOL', 'V1600G', '1.3.6.1.4.1.37950.1.1.6.1.1.4.1.24', 'description', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('V-SOL', 'V1600G', '1.3.6.1.4.1.37950.1.1.6.1.1.12.1.3', 'distance', '',
  ('int', 1, 0, None, 0, '', None, 0, None)),
 ('V-SOL', 'V1600G', '1.3.6.1.4.1.37950.1.1.6.1.1.3.1.7', 'rx_power', '',
  ('decimal_text', 1, 0, None, 0, '', 2, None, None)),
 ('V-SOL', 'V1600G', '1.3.6.1.4.1.37950.1.1.6.1.1.3.1.6', 'tx_power', '',
  ('decimal_text', 1, 0, None, 0, '', 2, None, None)),
 ('C-Data', None, '1.3.6.1.4.1.17409.2.8.4.1.1.7', 'discovery', '',
  ('int', 1, 0, None, 0, '', None, None, None)),
 ('C-Data', None, '1.3.6.1.4.1.17409.2.8.4.1.1.2', 'name', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('C-Data', None, '1.3.6.1.4.1.17409.2.8.4.1.1.3', 'serial', '',
  ('serial', 1, 0, None, 0, '', None, None, None)),
 ('C-Data', None, '1.3.6.1.4.1.17409.2.8.4.1.1.6', 'onu_model', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('C-Data', None, '1.3.6.1.4.1.17409.2.8.4.1.1.9', 'distance', '',
  ('int', 1, 0, None, 0, '', None, 0, None)),
 ('C-Data', None, '1.3.6.1.4.1.17409.2.8.4.4.1.4', 'rx_power', '.0.0',
  ('int', 0.01, 0, None, 0, '-4000', 2, None, None)),
 ('C-Data', None, '1.3.6.1.4.1.17409.2.8.4.4.1.5', 'tx_power', '.0.0',
  ('int', 0.01, 0, None, 0, '-4000', 2, None, None)),
 ('C-Data', 'FD1104', '1.3.6.1.4.1.17409.2.3.4.1.1.8', 'discovery', '',
  ('int', 1, 0, None, 0, '', None, None, None)),
 ('C-Data', 'FD1104', '1.3.6.1.4.1.17409.2.3.4.1.1.2', 'name', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('C-Data', 'FD1104', '1.3.6.1.4.1.17409.2.3.4.1.1.7', 'mac', '',
  ('mac', 1, 0, None, 0, '', None, None, None)),
 ('C-Data', 'FD1104', '1.3.6.1.4.1.17409.2.3.4.1.1.28', 'serial', '',
  ('serial', 1, 0, None, 0, '', None, None, None)),
 ('C-Data', 'FD1104', '1.3.6.1.4.1.17409.2.3.4.1.1.26', 'onu_model', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('C-Data', 'FD1104', '1.3.6.1.4.1.17409.2.3.4.1.1.15', 'distance', '',
  ('int', 1, 0, None, 0, '', None, 0, None)),
 ('C-Data', 'FD1104', '1.3.6.1.4.1.17409.2.3.4.2.1.4', 'rx_power', '',
  ('int', 0.01, 0, None, 0, '-4000', 2, None, None)),
 ('C-Data', 'FD1104', '1.3.6.1.4.1.17409.2.3.4.2.1.5', 'tx_power', '',
  ('int', 0.01, 0, None, 0, '-4000', 2, None, None)),
 ('Generic', None, '1.3.6.1.2.1.2.2.1.8', 'discovery', '',
  ('int', 1, 0, None, 0, '', None, None, None)),
 ('Generic', None, '1.3.6.1.2.1.31.1.1.1.1', 'name', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('Generic', None, '1.3.6.1.2.1.2.2.1.2', 'description', '',
  ('text', 1, 0, None, 0, '', None, None, None)),
 ('Generic', None, '1.3.6.1.2.1.31.1.1.1.18', 'description', '',
  ('text', 1, 0, None, 0, '', None, None, None))]
# the built-in formula an edited seeded formula of each old profile replaces now
NEW_FORMULA_KEY = {
    "huawei": "huawei:onu",
    "zte": "zte:legacy",
    "zte_v21": "zte:zxan",
    "zte_c600": "zte_c600:zxan",
    "fiberhome": "fiberhome:onu",
    "vsol_epon": "vsol:onu",
    "vsol_gpon": "vsol:onu",
    "cdata_gpon": "cdata:onu",
    "cdata_epon": "cdata:onu",
    "generic": "generic:ifname",
}
RENAMED = {"value_round": "value_round_to", "value_min": "value_valid_min", "value_max": "value_valid_max"}
OID_RULE_COLUMNS = (
    "value_parse", "value_scale", "value_offset", "value_wrap_above", "value_wrap_modulus",
    "value_sentinels", "value_round_to", "value_valid_min", "value_valid_max",
)


def _scopes(conn):
    """(brand name, model name or None) -> (brand_id, model_id)."""
    brands = dict(conn.execute(sa.text("SELECT name, id FROM brands")).all())
    models = {
        (b, m): i
        for b, m, i in conn.execute(
            sa.text(
                "SELECT brands.name, olt_models.name, olt_models.id FROM olt_models "
                "JOIN brands ON brands.id = olt_models.brand_id"
            )
        )
    }
    return brands, models


def _scope_ids(brands, models, brand, model):
    if brand not in brands:
        return None
    if model is None:
        return brands[brand], None
    if (brand, model) not in models:
        return None
    return brands[brand], models[(brand, model)]


def _where_scope(brand_id, model_id):
    model_sql = "model_id IS NULL" if model_id is None else "model_id = :model"
    return f"brand_id = :brand AND {model_sql}"


def _same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) < 1e-9
    return a == b


def _clean_formulas(conn, brands, models):
    cols = ", ".join(("id",) + FORMULA_FIELDS)
    for brand, model, key, values in SEEDED_FORMULAS:
        ids = _scope_ids(brands, models, brand, model)
        if ids is None:
            continue
        params = {"brand": ids[0], "model": ids[1]}
        rows = conn.execute(
            sa.text(f"SELECT {cols} FROM index_formulas WHERE {_where_scope(*ids)}"), params
        ).all()
        for row in rows:
            if all(_same(getattr(row, f), v) for f, v in zip(FORMULA_FIELDS, values)):
                conn.execute(sa.text("DELETE FROM index_formulas WHERE id = :id"), {"id": row.id})
            else:
                conn.execute(
                    sa.text("UPDATE index_formulas SET profile_formula = :key WHERE id = :id"),
                    {"key": NEW_FORMULA_KEY[key], "id": row.id},
                )


def _clean_labels(conn, brands, models):
    for brand, model, labels in SEEDED_LABELS:
        ids = _scope_ids(brands, models, brand, model)
        if ids is None:
            continue
        for value, label in labels.items():
            params = {"brand": ids[0], "model": ids[1], "value": value, "label": label}
            conn.execute(
                sa.text(
                    f"DELETE FROM state_labels WHERE {_where_scope(*ids)} "
                    "AND value = :value AND label = :label"
                ),
                params,
            )


def _clean_oids(conn, brands, models):
    cols = ", ".join(("id", "kind", "index_suffix") + OID_RULE_COLUMNS)
    for brand, model, oid, kind, suffix, rule in SEEDED_OIDS:
        ids = _scope_ids(brands, models, brand, model)
        if ids is None:
            continue
        params = {"brand": ids[0], "model": ids[1], "oid": oid}
        rows = conn.execute(
            sa.text(f"SELECT {cols} FROM oids WHERE {_where_scope(*ids)} AND oid = :oid"), params
        ).all()
        for row in rows:
            sets = {c: None for c, v in zip(OID_RULE_COLUMNS, rule) if _same(getattr(row, c), v)}
            if row.index_suffix == suffix:
                sets["index_suffix"] = None
            if row.kind == kind == "discovery":
                sets["kind"] = "state"  # every seeded discovery OID is a state column
            if sets:
                assign = ", ".join(f"{c} = :{c}" for c in sets)
                conn.execute(
                    sa.text(f"UPDATE oids SET {assign} WHERE id = :id"), {**sets, "id": row.id}
                )
    conn.execute(sa.text("UPDATE oids SET kind = 'state' WHERE kind = 'run_state'"))


def _dedupe_onus(conn):
    """Keep one ONU per (OLT, position): the one seen last (then the newest row)."""
    rows = conn.execute(
        sa.text("SELECT id, olt_id, name, last_seen_at FROM onus ORDER BY olt_id, name")
    ).all()
    best, drop = {}, []
    for row in rows:
        key = (row.olt_id, row.name)
        rank = (row.last_seen_at is not None, row.last_seen_at or "", row.id)
        if key in best:
            other = best[key]
            if rank > other[0]:
                drop.append(other[1])
                best[key] = (rank, row.id)
            else:
                drop.append(row.id)
        else:
            best[key] = (rank, row.id)
    for start in range(0, len(drop), 500):
        chunk = drop[start : start + 500]
        marks = ", ".join(f":i{n}" for n in range(len(chunk)))
        conn.execute(
            sa.text(f"DELETE FROM onus WHERE id IN ({marks})"),
            {f"i{n}": v for n, v in enumerate(chunk)},
        )


def upgrade():
    conn = op.get_bind()
    with op.batch_alter_table("olts") as batch:
        batch.alter_column("brand_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(
            sa.Column("auto_detect", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("detected_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("detection", sa.JSON(), nullable=True))

    _dedupe_onus(conn)
    with op.batch_alter_table("onus") as batch:
        batch.drop_constraint("uq_onus_olt_id", type_="unique")
        batch.drop_index("ix_onus_name")
        batch.alter_column(
            "name", new_column_name="position", existing_type=sa.String(60),
            type_=sa.String(100), existing_nullable=False,
        )
        batch.alter_column("raw_index", existing_type=sa.String(100), type_=sa.String(200))
    with op.batch_alter_table("onus") as batch:
        batch.add_column(sa.Column("name", sa.String(100), nullable=True))
        batch.add_column(sa.Column("online_since", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("last_down_cause", sa.String(60), nullable=True))
        batch.create_unique_constraint("uq_onus_olt_id", ["olt_id", "position"])
        batch.create_index("ix_onus_position", ["position"], unique=False)

    with op.batch_alter_table("oids") as batch:
        for old, new in RENAMED.items():
            batch.alter_column(old, new_column_name=new)
        batch.alter_column("index_suffix", existing_type=sa.String(20), nullable=True)
        for column, type_ in (
            ("value_parse", sa.String(20)),
            ("value_scale", sa.Float()),
            ("value_offset", sa.Float()),
            ("value_wrap_modulus", sa.BigInteger()),
            ("value_sentinels", sa.String(200)),
        ):
            batch.alter_column(column, existing_type=type_, nullable=True)

    with op.batch_alter_table("index_formulas") as batch:
        batch.add_column(sa.Column("profile_formula", sa.String(60), nullable=True))
        batch.drop_constraint("uq_index_formulas_brand_id", type_="unique")
        batch.create_unique_constraint(
            "uq_index_formulas_brand_id", ["brand_id", "model_id", "profile_formula"]
        )

    brands, models = _scopes(conn)
    _clean_formulas(conn, brands, models)
    _clean_labels(conn, brands, models)
    _clean_oids(conn, brands, models)


def downgrade():
    # Schema only: removed seed copies come back with `manage_cli.py seed` of release 0001.
    conn = op.get_bind()
    with op.batch_alter_table("index_formulas") as batch:
        batch.drop_constraint("uq_index_formulas_brand_id", type_="unique")
        batch.drop_column("profile_formula")
        batch.create_unique_constraint("uq_index_formulas_brand_id", ["brand_id", "model_id"])
    for column, default in (
        ("value_parse", "''"), ("value_scale", "1"), ("value_offset", "0"),
        ("value_wrap_modulus", "0"), ("value_sentinels", "''"), ("index_suffix", "''"),
    ):
        conn.execute(sa.text(f"UPDATE oids SET {column} = {default} WHERE {column} IS NULL"))
    with op.batch_alter_table("oids") as batch:
        for old, new in RENAMED.items():
            batch.alter_column(new, new_column_name=old)
        for column, type_ in (
            ("index_suffix", sa.String(20)), ("value_parse", sa.String(20)),
            ("value_scale", sa.Float()), ("value_offset", sa.Float()),
            ("value_wrap_modulus", sa.BigInteger()), ("value_sentinels", sa.String(200)),
        ):
            batch.alter_column(column, existing_type=type_, nullable=False)
    with op.batch_alter_table("onus") as batch:
        batch.drop_index("ix_onus_position")
        batch.drop_constraint("uq_onus_olt_id", type_="unique")
        batch.drop_column("last_down_cause")
        batch.drop_column("online_since")
        batch.drop_column("name")
    with op.batch_alter_table("onus") as batch:
        batch.alter_column(
            "position", new_column_name="name", existing_type=sa.String(100),
            type_=sa.String(60), existing_nullable=False,
        )
    with op.batch_alter_table("onus") as batch:
        batch.create_unique_constraint("uq_onus_olt_id", ["olt_id", "raw_index"])
        batch.create_index("ix_onus_name", ["name"], unique=False)
    with op.batch_alter_table("olts") as batch:
        batch.drop_column("detection")
        batch.drop_column("detected_at")
        batch.drop_column("auto_detect")
