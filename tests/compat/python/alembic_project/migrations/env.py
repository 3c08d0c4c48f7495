"""Alembic environment: connect with the PG* environment the compat runner sets, run the
migrations online in one transaction (Alembic's default on PostgreSQL)."""

import os

from alembic import context
from sqlalchemy import URL, create_engine

config = context.config
url = URL.create(
    "postgresql+psycopg", username=os.environ["PGUSER"], password=os.environ["PGPASSWORD"],
    host=os.environ["PGHOST"], port=int(os.environ["PGPORT"]), database=os.environ["PGDATABASE"],
)
connectable = config.attributes.get("connection") or create_engine(url)


def run(connection):
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


if hasattr(connectable, "connect"):
    with connectable.connect() as conn:
        run(conn)
else:
    run(connectable)
