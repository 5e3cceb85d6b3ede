"""Indexes for the HR reports: an agent's attempts by start, covering dimension levels.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 09:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        # An agent's attempts in time order, and date ranges within one agent's scorecard.
        batch_op.create_index(
            "ix_attempts_user_id_started_at", ["user_id", "started_at"], unique=False
        )
    with op.batch_alter_table("turn_dimension_scores", schema=None) as batch_op:
        # The reports read a score's level per dimension from the index alone.
        batch_op.create_index(
            "ix_turn_dimension_scores_score_id_dimension_level",
            ["score_id", "dimension", "level"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("turn_dimension_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_turn_dimension_scores_score_id_dimension_level")
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_attempts_user_id_started_at")
