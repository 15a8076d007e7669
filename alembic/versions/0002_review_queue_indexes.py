"""Indexes for the review queue: flagged articles by first sight and by score.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch_op:
        batch_op.create_index("ix_articles_flagged_first_seen", ["flagged", "first_seen_at"], unique=False)
        batch_op.create_index("ix_articles_flagged_score", ["flagged", "score"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch_op:
        batch_op.drop_index("ix_articles_flagged_score")
        batch_op.drop_index("ix_articles_flagged_first_seen")
