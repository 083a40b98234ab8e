"""Execution errors as a code with parameters: executions.error_code, executions.error_params

An execution's error was an English sentence only. The worker now also stores the message's
code ("snmp_timeout") and its parameters (JSON, as the summary column), so that pages and the
API render it in the reader's language (jobs/messages.py). The English sentence stays in
``error`` (logs, search, the API's ``error``); rows written before have no code and show it.

Revision ID: 0011_execution_messages
Revises: 0010_tx_thresholds
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_execution_messages"
down_revision = "0010_tx_thresholds"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("executions") as batch:
        batch.add_column(sa.Column("error_code", sa.String(40), nullable=True))
        batch.add_column(sa.Column("error_params", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("executions") as batch:
        batch.drop_column("error_params")
        batch.drop_column("error_code")
