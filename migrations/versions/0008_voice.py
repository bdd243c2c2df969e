"""child and family voice

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 08:00:00

Voice records (no column for a child's name or date of birth) and the collections children and
parents answer from a link.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('voice_collection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('form_key', sa.String(length=40), nullable=False),
    sa.Column('setting_type', sa.Enum('home', 'school', 'early_years', 'family_hub', 'health', 'social_care', 'youth', 'care_home', 'police', 'other', name='collection_setting', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('setting_detail', sa.String(length=120), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('consent_by', sa.Enum('parent_carer', 'child', 'local_authority', 'self', 'nobody', name='collection_consent', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('token_nonce', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_voice_collection_agency_id_agency'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_voice_collection_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_voice_collection_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_collection')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_voice_collection_token_hash'))
    )
    with op.batch_alter_table('voice_collection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_collection_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voice_collection_partnership_id'), ['partnership_id'], unique=False)
    op.create_table('voice_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('mediated', 'self_completed', name='voice_channel', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=True),
    sa.Column('form_key', sa.String(length=40), nullable=False),
    sa.Column('respondent', sa.Enum('child', 'parent_carer', name='voice_respondent', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('age_band', sa.Enum('4_7', '8_12', '13_17', name='voice_age_band', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('setting_type', sa.Enum('home', 'school', 'early_years', 'family_hub', 'health', 'social_care', 'youth', 'care_home', 'police', 'other', name='voice_setting', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('setting_detail', sa.String(length=120), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('local_reference', sa.String(length=40), nullable=True),
    sa.Column('method', sa.Enum('three_houses', 'wishes_feelings', 'conversation', 'drawing_play', 'observation', 'other', name='voice_method', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('assent', sa.Boolean(), nullable=True),
    sa.Column('consent_by', sa.Enum('parent_carer', 'child', 'local_authority', 'self', 'nobody', name='voice_consent', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('consented', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('sharing', sa.Enum('themes_only', 'quotes', name='voice_sharing', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('text_dropped', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('flagged', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('risk_categories', sa.JSON(), nullable=True),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('followed_up_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('followed_up_by_id', sa.Integer(), nullable=True),
    sa.Column('follow_up_note', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_voice_record_agency_id_agency'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['collection_id'], ['voice_collection.id'], name=op.f('fk_voice_record_collection_id_voice_collection'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['followed_up_by_id'], ['user_account.id'], name=op.f('fk_voice_record_followed_up_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_voice_record_partnership_id_partnership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_voice_record_recorded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_record'))
    )
    with op.batch_alter_table('voice_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_record_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voice_record_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index('ix_voice_record_flag', ['partnership_id', 'flagged'], unique=False)
        batch_op.create_index(batch_op.f('ix_voice_record_occurred_on'), ['occurred_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_voice_record_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voice_record_recorded_by_id'), ['recorded_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('voice_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voice_record_recorded_by_id'))
        batch_op.drop_index(batch_op.f('ix_voice_record_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_voice_record_occurred_on'))
        batch_op.drop_index('ix_voice_record_flag')
        batch_op.drop_index(batch_op.f('ix_voice_record_collection_id'))
        batch_op.drop_index(batch_op.f('ix_voice_record_agency_id'))
    op.drop_table('voice_record')
    with op.batch_alter_table('voice_collection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voice_collection_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_voice_collection_agency_id'))
    op.drop_table('voice_collection')
