"""station reports and announcements

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa
import broadcaster.db.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('starts_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('repeat', sa.Integer(), nullable=False),
    sa.Column('every_minutes', sa.Integer(), nullable=True),
    sa.Column('until', broadcaster.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('programme', sa.String(length=64), nullable=False),
    sa.Column('entry_code', sa.String(length=100), nullable=False),
    sa.Column('clip_sha256', sa.String(length=64), nullable=False),
    sa.Column('engine', sa.String(length=30), nullable=False),
    sa.Column('publication', sa.Integer(), nullable=True),
    sa.Column('created_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements'))
    )
    op.create_table('holdings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('publication', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('first_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_holdings_station_id_stations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holdings')),
    sa.UniqueConstraint('station_id', 'publication', name=op.f('uq_holdings_station_id'))
    )
    with op.batch_alter_table('holdings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holdings_station_id'), ['station_id'], unique=False)

    op.create_table('plays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.String(length=100), nullable=False),
    sa.Column('item_id', sa.String(length=300), nullable=False),
    sa.Column('entry_code', sa.String(length=100), nullable=False),
    sa.Column('programme', sa.String(length=64), nullable=False),
    sa.Column('scheduled_start', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('received_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_plays_station_id_stations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plays')),
    sa.UniqueConstraint('station_id', 'report_id', name=op.f('uq_plays_station_id'))
    )
    with op.batch_alter_table('plays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plays_entry_code'), ['entry_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_plays_programme'), ['programme'], unique=False)
        batch_op.create_index(batch_op.f('ix_plays_station_id'), ['station_id'], unique=False)

    op.create_table('station_status',
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('last_seen_at', broadcaster.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('agent_version', sa.String(length=50), nullable=False),
    sa.Column('publication', sa.Integer(), nullable=True),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('disk_free_bytes', sa.BigInteger(), nullable=True),
    sa.Column('playing', sa.JSON(), nullable=False),
    sa.Column('offline_since', broadcaster.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_station_status_station_id_stations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('station_id', name=op.f('pk_station_status'))
    )


def downgrade() -> None:
    op.drop_table('station_status')
    with op.batch_alter_table('plays', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plays_station_id'))
        batch_op.drop_index(batch_op.f('ix_plays_programme'))
        batch_op.drop_index(batch_op.f('ix_plays_entry_code'))

    op.drop_table('plays')
    with op.batch_alter_table('holdings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holdings_station_id'))

    op.drop_table('holdings')
    op.drop_table('announcements')
