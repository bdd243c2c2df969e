"""child and family voice

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 08:00:00

Reserved so capabilities built side by side keep one linear history; the tables arrive here.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
