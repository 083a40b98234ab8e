"""Pure SNMP layer of oltwatch: client, index decoding, brand profiles and the simulated lab."""
