"""origins, owners, request keys, session versions

Rows carry where they were made (``origin``), shared programmes and documents the group that
may change them (``owner_group``), announcements the requester's idempotency key, users a
session version that sign-out and password or role changes raise.

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

ORIGIN_TABLES = ('groups', 'stations', 'programmes', 'entries')


def upgrade() -> None:
    for table in ORIGIN_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('origin', sa.String(length=20),
                                          server_default='file', nullable=False))
    for table in ('programmes', 'documents'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('owner_group', sa.String(length=64), nullable=True))
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_announcements_request_key'),
                                          ['request_key'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0',
                                      nullable=False))
    # What announce made before origins existed is the announcement's, not the files'.
    op.execute("UPDATE entries SET origin = 'announce' WHERE code IN "
               "(SELECT entry_code FROM announcements)")
    op.execute("UPDATE programmes SET origin = 'announce' WHERE code IN "
               "(SELECT programme FROM announcements)")


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_announcements_request_key'), type_='unique')
        batch_op.drop_column('request_key')
    for table in ('programmes', 'documents'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('owner_group')
    for table in ORIGIN_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('origin')
