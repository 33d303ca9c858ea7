"""The last reading of Nextcloud, shared by every worker (issue 16): four workers each reading a big
Nextcloud every interval put four times the load on it; one reading, kept here, serves them all.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nextcloud_readings",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("scope", sa.JSON, nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("nextcloud_readings")
