"""An index on when journal changes ran: each page view asks for the latest, without a scan.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_journal_changes_updated_at", "journal_changes", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_journal_changes_updated_at", table_name="journal_changes")
