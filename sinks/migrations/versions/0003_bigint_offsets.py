"""rejected_messages.source_offset as BIGINT: Kafka offsets are 64-bit

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("rejected_messages", "source_offset", type_=sa.BigInteger(),
                    existing_type=sa.Integer(), existing_nullable=True,
                    comment="Its offset (Kafka offsets are 64-bit).")


def downgrade() -> None:
    op.alter_column("rejected_messages", "source_offset", type_=sa.Integer(),
                    existing_type=sa.BigInteger(), existing_nullable=True,
                    comment="Its offset.")
