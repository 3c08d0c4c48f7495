"""asyncpg scenario: a connection pool, fetchval/fetchrow, executemany, explicit prepared
statements, and `async with conn.transaction()` that commits and one that rolls back.

asyncpg always uses the extended protocol with named statements it caches per connection,
describes a statement with Parse/Describe/Flush before it binds, and resets a connection
when the pool takes it back.
"""

import asyncio

import asyncpg

from compat_common import Scenario, env

s = Scenario("asyncpg")
e = env()

INCR = "UPDATE posts SET likes = likes + 1 WHERE id = $1"
READ = "SELECT likes FROM posts WHERE id = $1"


class Rollback(Exception):
    """Raised inside a transaction block to roll it back."""


def sql(text, *args):
    s.last_sql = f"{text}  args={args!r}" if args else text
    return text


async def main():
    with s.step("connect a pool with a password",
                call=f"asyncpg.create_pool(user={e['PGUSER']}, password=***, min_size=2, max_size=10)"):
        pool = await asyncpg.create_pool(
            host=e["PGHOST"], port=e["PGPORT"], user=e["PGUSER"], password=e["PGPASSWORD"],
            database=e["PGDATABASE"], min_size=2, max_size=10,
            server_settings={"application_name": "compat-asyncpg"},
        )
        async with pool.acquire() as conn:
            s.check("server version is known", True, conn.get_server_version().major >= 9)

    with s.step("a wrong password is refused (28P01)", call="asyncpg.connect(password='wrong-' + password)"):
        try:
            bad = await asyncpg.connect(host=e["PGHOST"], port=e["PGPORT"], user=e["PGUSER"],
                                        password="wrong-" + e["PGPASSWORD"], database=e["PGDATABASE"])
            await bad.close()
            s.check("connect with a wrong password", "InvalidPasswordError", "connected")
        except asyncpg.InvalidPasswordError as exc:
            s.check("SQLSTATE", "28P01", exc.sqlstate)

    with s.step("create table posts"):
        async with pool.acquire() as conn:
            await conn.execute(sql("""CREATE TABLE posts (
                id bigint PRIMARY KEY,
                title text NOT NULL,
                likes bigint NOT NULL DEFAULT 0)"""))

    with s.step("insert rows (execute, executemany, fetchrow RETURNING)"):
        async with pool.acquire() as conn:
            tag = await conn.execute(sql("INSERT INTO posts (id, title) VALUES ($1, $2)", 1, "hello"), 1, "hello")
            s.check("command tag", "INSERT 0 1", tag)
            await conn.executemany(sql("INSERT INTO posts (id, title) VALUES ($1, $2)"), [(2, "two"), (3, "three")])
            row = await conn.fetchrow(sql("INSERT INTO posts (id, title) VALUES ($1, $2) RETURNING id, likes", 4, "four"), 4, "four")
            s.check("RETURNING id, likes", (4, 0), tuple(row))
            row = await conn.fetchrow(sql("SELECT id, title, likes FROM posts WHERE id = $1", 1), 1)
            s.check("row 1", {"id": 1, "title": "hello", "likes": 0}, dict(row))

    with s.step("increment 50 times through a prepared statement", call=f"conn.prepare({INCR!r})"):
        async with pool.acquire() as conn:
            stmt = await conn.prepare(sql(INCR))
            for i in range(50):
                await stmt.fetch(1)
                if stmt.get_statusmsg() != "UPDATE 1":
                    s.check(f"status of increment {i + 1}", "UPDATE 1", stmt.get_statusmsg())
            s.check("likes after 50 increments (fetchval)", 50, await conn.fetchval(sql(READ, 1), 1))

    with s.step("10 concurrent increments through the pool", call=INCR):
        async def one():
            async with pool.acquire() as conn:
                return await conn.execute(INCR, 1)
        s.last_sql = INCR
        tags = await asyncio.gather(*(one() for _ in range(10)))
        s.check("command tags", ["UPDATE 1"] * 10, list(tags))

    with s.step("read back (fetchval, prepared fetchval, fetch IN list)"):
        s.check("likes (pool.fetchval)", 60, await pool.fetchval(sql(READ, 1), 1))
        async with pool.acquire() as conn:
            stmt = await conn.prepare(sql(READ))
            s.check("likes (prepared fetchval)", 60, await stmt.fetchval(1))
            rows = await conn.fetch(sql("SELECT id, likes FROM posts WHERE id = ANY($1::bigint[])", [1, 2, 3]), [1, 2, 3])
            s.check("= ANY(array)", [(1, 60), (2, 0), (3, 0)], sorted(tuple(r) for r in rows))

    upsert = ("INSERT INTO posts AS p (id, title, likes) VALUES ($1, $2, $3) "
              "ON CONFLICT (id) DO UPDATE SET likes = p.likes + EXCLUDED.likes RETURNING likes")
    with s.step("upsert increment (INSERT ... ON CONFLICT DO UPDATE)", call=upsert):
        s.check("upsert of an existing row: RETURNING likes", 65, await pool.fetchval(sql(upsert, 1, "ignored", 5), 1, "ignored", 5))
        s.check("upsert of a new row: RETURNING likes", 5, await pool.fetchval(sql(upsert, 20, "new", 5), 20, "new", 5))
        s.check("upsert of that row again", 10, await pool.fetchval(sql(upsert, 20, "new", 5), 20, "new", 5))
        s.check("likes of row 1", 65, await pool.fetchval(sql(READ, 1), 1))

    with s.step("UPDATE of a missing row reports UPDATE 0", call=INCR):
        s.check("command tag", "UPDATE 0", await pool.execute(sql(INCR, 999), 999))
        s.check("row 999", None, await pool.fetchval(sql(READ, 999), 999))

    with s.step("set to an absolute value"):
        got = await pool.fetchval(sql("UPDATE posts SET likes = $1 WHERE id = $2 RETURNING likes", 1000, 1), 1000, 1)
        s.check("RETURNING likes", 1000, got)
        await pool.execute(sql(INCR, 1), 1)
        s.check("likes after one more increment", 1001, await pool.fetchval(sql(READ, 1), 1))

    with s.step("delete the row"):
        s.check("command tag", "DELETE 1", await pool.execute(sql("DELETE FROM posts WHERE id = $1", 1), 1))
        s.check("row 1 after delete", None, await pool.fetchrow(sql("SELECT * FROM posts WHERE id = $1", 1), 1))
        s.check("increment of the deleted row", "UPDATE 0", await pool.execute(sql(INCR, 1), 1))

    with s.step("transaction that commits"):
        async with pool.acquire() as conn:
            async with conn.transaction():
                await conn.execute(sql("INSERT INTO posts (id, title) VALUES ($1, $2)", 10, "txn"), 10, "txn")
                for _ in range(5):
                    await conn.execute(sql(INCR, 10), 10)
            s.check("likes after commit", 5, await conn.fetchval(sql(READ, 10), 10))

    with s.step("transaction that rolls back"):
        async with pool.acquire() as conn:
            try:
                async with conn.transaction():
                    await conn.execute(sql("UPDATE posts SET likes = likes + $1 WHERE id = $2", 100, 10), 100, 10)
                    await conn.execute(sql("INSERT INTO posts (id, title) VALUES ($1, $2)", 11, "gone"), 11, "gone")
                    raise Rollback()
            except Rollback:
                pass
            s.check("likes after rollback", 5, await conn.fetchval(sql(READ, 10), 10))
            s.check("row inserted in the rolled-back transaction", None, await conn.fetchval(sql(READ, 11), 11))

    with s.step("an error inside a transaction aborts it; the connection stays usable"):
        async with pool.acquire() as conn:
            try:
                async with conn.transaction():
                    await conn.execute(INCR, 10)
                    await conn.fetchval(sql("SELECT nosuchcolumn FROM posts WHERE id = $1", 10), 10)
                s.check("SELECT of a missing column", "UndefinedColumnError", "no error")
            except asyncpg.UndefinedColumnError as exc:
                print(f"    SELECT of a missing column: raised {type(exc).__name__} ({exc.sqlstate}: {exc})")
            s.check("likes (the increment before the error was rolled back)", 5, await conn.fetchval(sql(READ, 10), 10))

    with s.step("close the pool (asyncpg resets each connection it takes back)"):
        await asyncio.wait_for(pool.close(), 10)


asyncio.run(main())
s.done()
