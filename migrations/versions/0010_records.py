"""audits, reviews, theme links, learning needs analysis

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 08:00:00

Audits and reviews with their agencies and recommendations, links from codebook themes to
audits, reviews and actions, and the Learning Needs Analysis priorities.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('audit_type', sa.Enum('multi_agency_thematic', 'multi_agency_case', 'single_agency', 'section_11', 'section_175_157', 'themed_scrutiny', name='audit_type', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=True),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('planned', 'in_progress', 'reporting', 'complete', name='audit_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_audit_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_audit_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit'))
    )
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_partnership_id'), ['partnership_id'], unique=False)
    
    op.create_table('lna_priority',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('theme_key', sa.String(length=60), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_lna_priority_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_lna_priority_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lna_priority'))
    )
    with op.batch_alter_table('lna_priority', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lna_priority_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lna_priority_year'), ['year'], unique=False)
    
    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('review_type', sa.Enum('lcspr', 'rapid_review', 'practice_learning', 'single_agency', 'child_death_theme', 'national', name='review_type', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=True),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('planned', 'in_progress', 'reporting', 'complete', name='review_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('learning_points', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_review_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_review_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review'))
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_partnership_id'), ['partnership_id'], unique=False)
    
    op.create_table('theme_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('theme_key', sa.String(length=60), nullable=False),
    sa.Column('record_type', sa.Enum('audit', 'review', 'action', name='linked_record', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['linked_by_id'], ['user_account.id'], name=op.f('fk_theme_link_linked_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_theme_link_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme_link')),
    sa.UniqueConstraint('partnership_id', 'theme_key', 'record_type', 'record_id', name=op.f('uq_theme_link_partnership_id_theme_key_record_type_record_id'))
    )
    with op.batch_alter_table('theme_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_link_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_theme_link_record', ['record_type', 'record_id'], unique=False)
    
    op.create_table('audit_agency',
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_audit_agency_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['audit_id'], ['audit.id'], name=op.f('fk_audit_agency_audit_id_audit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('audit_id', 'agency_id', name=op.f('pk_audit_agency'))
    )
    with op.batch_alter_table('audit_agency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_agency_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_agency_audit_id'), ['audit_id'], unique=False)
    
    op.create_table('recommendation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=True),
    sa.Column('review_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('training', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('theme_key', sa.String(length=60), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(audit_id IS NULL) <> (review_id IS NULL)', name=op.f('ck_recommendation_one_record')),
    sa.ForeignKeyConstraint(['audit_id'], ['audit.id'], name=op.f('fk_recommendation_audit_id_audit'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_recommendation_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_recommendation_review_id_review'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation'))
    )
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendation_audit_id'), ['audit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recommendation_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recommendation_review_id'), ['review_id'], unique=False)
    


def downgrade():
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_review_id'))
        batch_op.drop_index(batch_op.f('ix_recommendation_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_recommendation_audit_id'))
    
    op.drop_table('recommendation')
    with op.batch_alter_table('audit_agency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_agency_audit_id'))
        batch_op.drop_index(batch_op.f('ix_audit_agency_agency_id'))
    
    op.drop_table('audit_agency')
    with op.batch_alter_table('theme_link', schema=None) as batch_op:
        batch_op.drop_index('ix_theme_link_record')
        batch_op.drop_index(batch_op.f('ix_theme_link_partnership_id'))
    
    op.drop_table('theme_link')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_partnership_id'))
    
    op.drop_table('review')
    with op.batch_alter_table('lna_priority', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lna_priority_year'))
        batch_op.drop_index(batch_op.f('ix_lna_priority_partnership_id'))
    
    op.drop_table('lna_priority')
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_partnership_id'))
    
    op.drop_table('audit')
