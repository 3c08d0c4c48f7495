"""SQLAlchemy 2 ORM scenario (psycopg 3 driver): a declarative Post model whose id is the
default autoincrementing primary key (BIGSERIAL), metadata.create_all run twice, Session
add/commit, the ORM-enabled `update(Post).where(...).values(likes=Post.likes + 1)`,
attribute assignment flushed as UPDATE, session.delete, and session transactions that
commit and roll back. A pool of 10 connections runs 10 concurrent increments.
"""

import threading

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy import BigInteger, Text, URL, create_engine, event, inspect, select, text, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from compat_common import Scenario, env

s = Scenario("sqlalchemy")
e = env()


class Base(DeclarativeBase):
    pass


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    likes: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))


url = URL.create(
    "postgresql+psycopg", username=e["PGUSER"], password=e["PGPASSWORD"],
    host=e["PGHOST"], port=e["PGPORT"], database=e["PGDATABASE"],
)
engine = create_engine(url, pool_size=10, max_overflow=0)


sent = []  # every statement text the engine sent, in order


@event.listens_for(engine, "before_cursor_execute")
def _remember(conn, cursor, statement, parameters, context, executemany):
    s.last_sql = f"{' '.join(statement.split())}  params={parameters!r}"
    sent.append(statement.strip())


def likes_of(post_id):
    """likes as a fresh Session reads it (None when the row is gone)."""
    with Session(engine) as session:
        return session.scalar(select(Post.likes).where(Post.id == post_id))


def increment(session, post_id, n=1):
    return session.execute(update(Post).where(Post.id == post_id).values(likes=Post.likes + n))


with s.step("connect with a password (dialect initialisation)", call="engine.connect()"):
    with engine.connect() as conn:
        s.check("server version is known", True, conn.dialect.server_version_info >= (9,))

with s.step("metadata.create_all creates posts", call="Base.metadata.create_all(engine)"):
    Base.metadata.create_all(engine)
    s.check("inspect(engine).has_table('posts')", True, inspect(engine).has_table("posts"))

with s.step("metadata.create_all again: sees the table, no error", call="Base.metadata.create_all(engine)"):
    sent.clear()
    Base.metadata.create_all(engine)
    s.check("CREATE statements sent", [], [q for q in sent if q.upper().startswith("CREATE")])

with s.step("insert Posts through the Session (ids from the sequence)"):
    with Session(engine) as session:
        first = Post(title="hello")
        session.add(first)
        session.commit()
        pid = first.id
        s.check("first.id assigned", True, isinstance(pid, int))
        s.check("first.likes (server default)", 0, first.likes)
        more = [Post(title="two"), Post(title="three")]
        session.add_all(more)
        session.commit()
        s.check("add_all ids are distinct", 3, len({pid, more[0].id, more[1].id}))
        other = more[0].id
        print(f"    ids assigned by the server: {[pid, more[0].id, more[1].id]}")
    with Session(engine) as session:
        got = session.get(Post, pid)
        s.check("session.get(Post, id)", ("hello", 0), (got.title, got.likes))

with s.step("increment 50 times with update(Post)...values(likes=Post.likes + 1)"):
    with Session(engine) as session:
        for i in range(50):
            res = increment(session, pid)
            if res.rowcount != 1:
                s.check(f"rowcount of increment {i + 1}", 1, res.rowcount)
            session.commit()
    s.check("likes after 50 increments", 50, likes_of(pid))

with s.step("10 concurrent increments, one Session per thread (pool_size=10)"):
    errors, counts = [], []
    barrier = threading.Barrier(10)

    def worker():
        try:
            barrier.wait()
            with Session(engine) as session, session.begin():
                counts.append(increment(session, pid).rowcount)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    s.check("rowcounts", [1] * 10, counts)

with s.step("read back"):
    s.check("likes (select(Post.likes))", 60, likes_of(pid))
    with Session(engine) as session:
        posts = session.scalars(select(Post).where(Post.id.in_([pid, other])).order_by(Post.id)).all()
        s.check("in_() list", [(pid, 60), (other, 0)], [(p.id, p.likes) for p in posts])

def upsert(post_id, n):
    """INSERT ... ON CONFLICT (id) DO UPDATE SET likes = posts.likes + excluded.likes."""
    stmt = pg_insert(Post).values(id=post_id, title="upserted", likes=n)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Post.id], set_={"likes": Post.likes + stmt.excluded.likes})
    return stmt.returning(Post.likes)


with s.step("upsert increment (postgresql.insert().on_conflict_do_update)"):
    with Session(engine) as session:
        s.check("upsert of an existing row: RETURNING likes", 65, session.scalar(upsert(pid, 5)))
        s.check("upsert of a new row (id 1000): RETURNING likes", 5, session.scalar(upsert(1000, 5)))
        s.check("upsert of that row again", 10, session.scalar(upsert(1000, 5)))
        session.commit()
    s.check("likes", 65, likes_of(pid))

with s.step("set to an absolute value (attribute assignment, flushed on commit)"):
    with Session(engine) as session:
        post = session.get(Post, pid)
        post.likes = 1000
        session.commit()
        s.check("post.likes after commit (reloaded)", 1000, post.likes)
    s.check("likes", 1000, likes_of(pid))

with s.step("delete the row (session.delete)"):
    with Session(engine) as session:
        session.delete(session.get(Post, pid))
        session.commit()
        s.check("session.get after delete", None, session.get(Post, pid))
    with Session(engine) as session:
        s.check("increment of the deleted row: rowcount", 0, increment(session, pid).rowcount)
        session.commit()

with s.step("transaction that commits (session.begin())"):
    with Session(engine) as session:
        with session.begin():
            post = Post(title="txn")
            session.add(post)
            session.flush()
            tid = post.id
            for _ in range(5):
                increment(session, tid)
    s.check("likes after commit", 5, likes_of(tid))

with s.step("transaction that rolls back (session.rollback())"):
    with Session(engine) as session:
        increment(session, tid, 100)
        gone = Post(title="rolled back")
        session.add(gone)
        session.flush()
        gone_id = gone.id
        session.rollback()
    s.check("likes after rollback", 5, likes_of(tid))
    with Session(engine) as session:
        s.check("Post inserted in the rolled-back transaction", None, session.get(Post, gone_id))

engine.dispose()
s.done()
