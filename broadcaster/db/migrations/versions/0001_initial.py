"""documents, revisions and clips

Revision ID: 0001
Revises: 

"""

import sqlalchemy as sa
from alembic import op

import broadcaster.db.models

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('number', sa.String(length=100), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('speech', sa.JSON(), nullable=False),
    sa.Column('created_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('key', name=op.f('uq_documents_key'))
    )
    op.create_table('document_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('source_name', sa.String(length=500), nullable=False),
    sa.Column('source_format', sa.String(length=10), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('created_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_revisions_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_revisions')),
    sa.UniqueConstraint('document_id', 'number', name=op.f('uq_document_revisions_document_id'))
    )
    op.create_table('clips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cache_key', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('ext', sa.String(length=8), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('loudness_lufs', sa.Float(), nullable=False),
    sa.Column('true_peak_dbtp', sa.Float(), nullable=False),
    sa.Column('profile', sa.String(length=50), nullable=False),
    sa.Column('engine', sa.String(length=30), nullable=False),
    sa.Column('voice', sa.String(length=200), nullable=False),
    sa.Column('rate', sa.Float(), nullable=False),
    sa.Column('normalizer_version', sa.String(length=20), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('fallback', sa.Boolean(), nullable=False),
    sa.Column('preferred_engine', sa.String(length=30), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('request', sa.JSON(), nullable=False),
    sa.Column('document_revision_id', sa.Integer(), nullable=True),
    sa.Column('created_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_revision_id'], ['document_revisions.id'], name=op.f('fk_clips_document_revision_id_document_revisions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['clips.id'], name=op.f('fk_clips_replaced_by_id_clips'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clips')),
    sa.UniqueConstraint('cache_key', name=op.f('uq_clips_cache_key'))
    )
    with op.batch_alter_table('clips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clips_sha256'), ['sha256'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('clips', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clips_sha256'))

    op.drop_table('clips')
    op.drop_table('document_revisions')
    op.drop_table('documents')
