"""audits, reviews, theme links, learning needs analysis

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 08:00:00

Reserved so capabilities built side by side keep one linear history; the tables arrive here.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
