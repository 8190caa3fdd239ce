"""entries and publications

Revision ID: 0004
Revises: 0003

"""

from alembic import op
import sqlalchemy as sa
import broadcaster.db.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('programme', sa.String(length=64), nullable=True),
    sa.Column('clip_sha256', sa.String(length=64), nullable=True),
    sa.Column('target', sa.String(length=64), nullable=False),
    sa.Column('start_time', sa.String(length=5), nullable=True),
    sa.Column('start_at', sa.String(length=19), nullable=True),
    sa.Column('rrule', sa.String(length=500), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('exdates', sa.JSON(), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('on_collision', sa.String(length=10), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=True),
    sa.Column('created_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entries')),
    sa.UniqueConstraint('code', name=op.f('uq_entries_code'))
    )
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entries_target'), ['target'], unique=False)

    op.create_table('publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('window_start', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('window_end', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('stations', sa.JSON(), nullable=False),
    sa.Column('rollback_of', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publications')),
    sa.UniqueConstraint('number', name=op.f('uq_publications_number'))
    )


def downgrade() -> None:
    op.drop_table('publications')
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entries_target'))

    op.drop_table('entries')
