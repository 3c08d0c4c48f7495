"""SQLAlchemy 2 asyncio ORM on asyncpg (the FastAPI-style stack): create_async_engine,
run_sync(metadata.create_all) twice, AsyncSession add/commit, the ORM update
`update(Post).where(...).values(likes=Post.likes + 1)`, attribute assignment, delete, and
session transactions that commit and roll back; 10 concurrent increments through the
engine's pool. The same model as sqlalchemy_scenario.py; only the driver differs.
"""

import asyncio

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy import BigInteger, Text, URL, event, inspect, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from compat_common import Scenario, env

s = Scenario("sqlalchemy_asyncpg")
e = env()


class Base(DeclarativeBase):
    pass


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    likes: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))


url = URL.create(
    "postgresql+asyncpg", username=e["PGUSER"], password=e["PGPASSWORD"],
    host=e["PGHOST"], port=e["PGPORT"], database=e["PGDATABASE"],
)
engine = create_async_engine(url, pool_size=10, max_overflow=0)
Session = async_sessionmaker(engine, expire_on_commit=False)
sent = []  # every statement text the engine sent, in order


@event.listens_for(engine.sync_engine, "before_cursor_execute")
def _remember(conn, cursor, statement, parameters, context, executemany):
    s.last_sql = f"{' '.join(statement.split())}  params={parameters!r}"
    sent.append(statement.strip())


async def likes_of(post_id):
    async with Session() as session:
        return await session.scalar(select(Post.likes).where(Post.id == post_id))


def upsert(post_id, n):
    """INSERT ... ON CONFLICT (id) DO UPDATE SET likes = posts.likes + excluded.likes."""
    stmt = pg_insert(Post).values(id=post_id, title="upserted", likes=n)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Post.id], set_={"likes": Post.likes + stmt.excluded.likes})
    return stmt.returning(Post.likes)


def increment(post_id, n=1):
    return update(Post).where(Post.id == post_id).values(likes=Post.likes + n)


async def main():
    with s.step("connect with a password (dialect initialisation)", call="engine.connect()"):
        async with engine.connect() as conn:
            s.check("server version is known", True, conn.dialect.server_version_info >= (9,))

    with s.step("run_sync(metadata.create_all) creates posts"):
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
            has = await conn.run_sync(lambda c: inspect(c).has_table("posts"))
            s.check("has_table('posts')", True, has)

    with s.step("run_sync(metadata.create_all) again: sees the table, sends no CREATE"):
        sent.clear()
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        s.check("CREATE statements sent", [], [q for q in sent if q.upper().startswith("CREATE")])

    with s.step("insert Posts through the AsyncSession (ids from the sequence)"):
        async with Session() as session:
            first = Post(title="hello")
            session.add(first)
            await session.commit()
            more = [Post(title="two"), Post(title="three")]
            session.add_all(more)
            await session.commit()
        pid, other = first.id, more[0].id
        print(f"    ids assigned by the server: {[pid, more[0].id, more[1].id]}")
        s.check("ids are distinct", 3, len({pid, more[0].id, more[1].id}))
        async with Session() as session:
            got = await session.get(Post, pid)
            s.check("session.get(Post, id)", ("hello", 0), (got.title, got.likes))

    with s.step("increment 50 times with update(Post)...values(likes=Post.likes + 1)"):
        async with Session() as session:
            for i in range(50):
                res = await session.execute(increment(pid))
                if res.rowcount != 1:
                    s.check(f"rowcount of increment {i + 1}", 1, res.rowcount)
                await session.commit()
        s.check("likes after 50 increments", 50, await likes_of(pid))

    with s.step("10 concurrent increments, one AsyncSession each (pool_size=10)"):
        async def one():
            async with Session() as session, session.begin():
                return (await session.execute(increment(pid))).rowcount
        s.check("rowcounts", [1] * 10, list(await asyncio.gather(*(one() for _ in range(10)))))

    with s.step("read back"):
        s.check("likes", 60, await likes_of(pid))
        async with Session() as session:
            posts = (await session.scalars(
                select(Post).where(Post.id.in_([pid, other])).order_by(Post.id))).all()
            s.check("in_() list", [(pid, 60), (other, 0)], [(p.id, p.likes) for p in posts])

    with s.step("upsert increment (postgresql.insert().on_conflict_do_update)"):
        async with Session() as session:
            s.check("upsert of an existing row: RETURNING likes", 65, await session.scalar(upsert(pid, 5)))
            s.check("upsert of a new row (id 1000): RETURNING likes", 5, await session.scalar(upsert(1000, 5)))
            s.check("upsert of that row again", 10, await session.scalar(upsert(1000, 5)))
            await session.commit()
        s.check("likes", 65, await likes_of(pid))

    with s.step("set to an absolute value (attribute assignment, flushed on commit)"):
        async with Session() as session:
            post = await session.get(Post, pid)
            post.likes = 1000
            await session.commit()
        s.check("likes", 1000, await likes_of(pid))

    with s.step("delete the row (session.delete)"):
        async with Session() as session:
            await session.delete(await session.get(Post, pid))
            await session.commit()
            s.check("session.get after delete", None, await session.get(Post, pid))
            res = await session.execute(increment(pid))
            s.check("increment of the deleted row: rowcount", 0, res.rowcount)
            await session.commit()

    with s.step("transaction that commits (session.begin())"):
        async with Session() as session:
            async with session.begin():
                post = Post(title="txn")
                session.add(post)
                await session.flush()
                tid = post.id
                for _ in range(5):
                    await session.execute(increment(tid))
        s.check("likes after commit", 5, await likes_of(tid))

    with s.step("transaction that rolls back (session.rollback())"):
        async with Session() as session:
            await session.execute(increment(tid, 100))
            gone = Post(title="rolled back")
            session.add(gone)
            await session.flush()
            gone_id = gone.id
            await session.rollback()
        s.check("likes after rollback", 5, await likes_of(tid))
        async with Session() as session:
            s.check("Post inserted in the rolled-back transaction", None, await session.get(Post, gone_id))

    await engine.dispose()


asyncio.run(main())
s.done()
