"""Alembic scenario: SQLAlchemy projects migrate with Alembic rather than create_all.
alembic_project/ holds two revisions (0001 creates posts with a BIGSERIAL id, 0002 adds a
shares counter). The scenario runs `alembic upgrade head` twice (the second must be a
no-op), uses the migrated table, downgrades to 0001 and upgrades again. Each revision
runs in one transaction, as Alembic does on PostgreSQL, and moves the single row of
alembic_version with `UPDATE alembic_version SET version_num=...`.
"""

import os

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import URL, Engine, create_engine, event, text

from compat_common import Scenario, env

s = Scenario("alembic")
e = env()
HERE = os.path.dirname(os.path.abspath(__file__))
cfg = Config(os.path.join(HERE, "alembic_project", "alembic.ini"))

url = URL.create(
    "postgresql+psycopg", username=e["PGUSER"], password=e["PGPASSWORD"],
    host=e["PGHOST"], port=e["PGPORT"], database=e["PGDATABASE"],
)
engine = create_engine(url)
sent = []  # statements of every engine (Alembic's env.py makes its own)


@event.listens_for(Engine, "before_cursor_execute")
def _remember(conn, cursor, statement, parameters, context, executemany):
    s.last_sql = f"{' '.join(statement.split())}  params={parameters!r}"
    sent.append(statement.strip())


def revision():
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ddl():
    return [q for q in sent if q.upper().startswith(("CREATE", "ALTER", "DROP"))]


with s.step("connect with a password; no revision yet"):
    s.check("current revision", None, revision())

with s.step("alembic upgrade head (0001 create posts, 0002 add shares)", call="alembic upgrade head"):
    command.upgrade(cfg, "head")
    s.check("current revision", "0002", revision())

with s.step("alembic upgrade head again: nothing to do, no DDL", call="alembic upgrade head"):
    sent.clear()
    command.upgrade(cfg, "head")
    s.check("DDL sent", [], ddl())
    s.check("current revision", "0002", revision())

with s.step("use the migrated table: insert, increment likes and shares, read back"):
    with engine.begin() as conn:
        pid = conn.execute(text("INSERT INTO posts (title) VALUES (:t) RETURNING id"), {"t": "hello"}).scalar_one()
    for _ in range(3):
        with engine.begin() as conn:
            conn.execute(text("UPDATE posts SET likes = likes + 1, shares = shares + 2 WHERE id = :id"), {"id": pid})
    with engine.connect() as conn:
        row = conn.execute(text("SELECT likes, shares FROM posts WHERE id = :id"), {"id": pid}).one()
    s.check("likes, shares", (3, 6), tuple(row))

with s.step("alembic downgrade 0001 (drop shares)", call="alembic downgrade 0001"):
    command.downgrade(cfg, "0001")
    s.check("current revision", "0001", revision())
    with engine.connect() as conn:
        cols = conn.execute(text("SELECT * FROM posts WHERE id = :id"), {"id": pid}).keys()
    s.check("columns", ["id", "title", "likes"], list(cols))

with s.step("alembic upgrade head again (re-add shares)", call="alembic upgrade head"):
    command.upgrade(cfg, "head")
    s.check("current revision", "0002", revision())
    with engine.connect() as conn:
        row = conn.execute(text("SELECT likes, shares FROM posts WHERE id = :id"), {"id": pid}).one()
    s.check("likes, shares (re-added column starts at its default)", (3, 0), tuple(row))

engine.dispose()
s.done()
