"""account lockout, privacy notice, retention

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 08:00:00

Accounts count failed sign-ins and can be locked; each partnership keeps its privacy notice,
its data-protection contact and how long identifiable links are kept per campaign purpose.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('failed_sign_ins', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(
            sa.Column('failed_sign_ins_since', sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('privacy_notice', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('privacy_contact', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('retention_months', sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column('retention_checked_at', sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.drop_column('retention_checked_at')
        batch_op.drop_column('retention_months')
        batch_op.drop_column('privacy_contact')
        batch_op.drop_column('privacy_notice')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_sign_ins_since')
        batch_op.drop_column('failed_sign_ins')
