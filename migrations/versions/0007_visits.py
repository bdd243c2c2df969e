"""scrutiny visits, safeguarding conversations, practitioner forums

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 08:00:00

Visits of three kinds (one table), their teams and reviews, and the Section 11 action plan
items each agency keeps, with their progress at each safeguarding conversation.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('section11_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('standard', sa.String(length=60), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_section11_item_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_section11_item_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_section11_item_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_section11_item'))
    )
    with op.batch_alter_table('section11_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_section11_item_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_section11_item_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('scrutiny_visit', 'safeguarding_conversation', 'practitioner_forum', name='visit_kind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('status', sa.Enum('planned', 'draft', 'submitted', 'sent_back', 'reviewed', 'published', name='visit_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('setting', sa.String(length=200), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('audience', sa.String(length=200), nullable=True),
    sa.Column('attendee_count', sa.Integer(), nullable=True),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('people_by_role', sa.JSON(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_visit_agency_id_agency'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_visit_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['user_account.id'], name=op.f('fk_visit_lead_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_visit_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_occurred_on'), ['occurred_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_visit_partnership_kind_status', ['partnership_id', 'kind', 'status'], unique=False)

    op.create_table('conversation_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('not_started', 'in_progress', 'done', 'blocked', name='section11_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['section11_item.id'], name=op.f('fk_conversation_item_item_id_section11_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_conversation_item_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_item')),
    sa.UniqueConstraint('visit_id', 'item_id', name=op.f('uq_conversation_item_visit_id_item_id'))
    )
    with op.batch_alter_table('conversation_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_item_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_item_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('sent_back', 'reviewed', name='review_outcome', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('comments', sa.Text(), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user_account.id'], name=op.f('fk_visit_review_reviewer_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_review_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_review'))
    )
    with op.batch_alter_table('visit_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_review_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_scrutineer',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_visit_scrutineer_user_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_scrutineer_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'user_id', name=op.f('pk_visit_scrutineer'))
    )
    with op.batch_alter_table('visit_scrutineer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_scrutineer_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('visit_scrutineer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_scrutineer_user_id'))
    op.drop_table('visit_scrutineer')
    with op.batch_alter_table('visit_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_review_visit_id'))
    op.drop_table('visit_review')
    with op.batch_alter_table('conversation_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_item_visit_id'))
        batch_op.drop_index(batch_op.f('ix_conversation_item_item_id'))
    op.drop_table('conversation_item')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_partnership_kind_status')
        batch_op.drop_index(batch_op.f('ix_visit_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_visit_occurred_on'))
        batch_op.drop_index(batch_op.f('ix_visit_lead_id'))
        batch_op.drop_index(batch_op.f('ix_visit_agency_id'))
    op.drop_table('visit')
    with op.batch_alter_table('section11_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_section11_item_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_section11_item_agency_id'))
    op.drop_table('section11_item')
    # ### end Alembic commands ###
