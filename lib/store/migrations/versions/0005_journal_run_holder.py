"""Journal runs say which process applies them and when it last did: a run whose holder went silent
is taken over within seconds, never while its holder lives (issue 13: a dead process's lease held
ten minutes, and a live worker's run could be resumed by another).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("journal_runs") as batch:
        batch.add_column(sa.Column("holder", sa.String(64), nullable=True))
        batch.add_column(sa.Column("heartbeat", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_journal_runs_status", "journal_runs", ["status"])
    op.create_index("ix_journal_runs_request", "journal_runs", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_journal_runs_request", table_name="journal_runs")
    op.drop_index("ix_journal_runs_status", table_name="journal_runs")
    with op.batch_alter_table("journal_runs") as batch:
        batch.drop_column("heartbeat")
        batch.drop_column("holder")
