"""psycopg 3 scenario: the driver used the way applications use it.

Parameterised queries (extended protocol; psycopg prepares a statement server-side once
it ran 5 times), autocommit for single statements, `with conn.transaction()` blocks,
the default non-autocommit mode with conn.commit()/conn.rollback(), and psycopg_pool for
10 concurrent increments.
"""

import threading

import psycopg
from psycopg_pool import ConnectionPool

from compat_common import Scenario, env

s = Scenario("psycopg3")
e = env()
conninfo = psycopg.conninfo.make_conninfo(
    host=e["PGHOST"], port=e["PGPORT"], user=e["PGUSER"],
    password=e["PGPASSWORD"], dbname=e["PGDATABASE"], application_name="compat-psycopg3",
)

INCR = "UPDATE posts SET likes = likes + 1 WHERE id = %s"
READ = "SELECT likes FROM posts WHERE id = %s"


def run(conn, sql, params=None):
    s.last_sql = f"{sql}  params={params!r}"
    return conn.execute(sql, params)


def likes(conn, post_id):
    row = run(conn, READ, (post_id,)).fetchone()
    return None if row is None else row[0]


with s.step("connect with a password", call=f"psycopg.connect(user={e['PGUSER']}, password=***)"):
    conn = psycopg.connect(conninfo, autocommit=True)
    s.check("connection status", psycopg.pq.ConnStatus.OK, conn.info.status)
    s.check("server sent a server_version", True, bool(conn.info.parameter_status("server_version")))

with s.step("create table posts"):
    run(conn, """CREATE TABLE posts (
        id bigint PRIMARY KEY,
        title text NOT NULL,
        likes bigint NOT NULL DEFAULT 0)""")

with s.step("insert rows (one, executemany, RETURNING)"):
    cur = run(conn, "INSERT INTO posts (id, title) VALUES (%s, %s)", (1, "hello"))
    s.check("rowcount", 1, cur.rowcount)
    with conn.cursor() as cur:
        s.last_sql = "executemany INSERT INTO posts (id, title) VALUES (%s, %s)"
        cur.executemany("INSERT INTO posts (id, title) VALUES (%s, %s)", [(2, "two"), (3, "three")])
    row = run(conn, "INSERT INTO posts (id, title, likes) VALUES (%s, %s, %s) RETURNING id, likes",
              (4, "four", 0)).fetchone()
    s.check("RETURNING id, likes", (4, 0), row)
    row = run(conn, "SELECT id, title, likes FROM posts WHERE id = %s", (1,)).fetchone()
    s.check("row 1", (1, "hello", 0), row)

with s.step("increment 50 times", call=INCR):
    for i in range(50):
        cur = run(conn, INCR, (1,))
        if cur.rowcount != 1:
            s.check(f"rowcount of increment {i + 1}", 1, cur.rowcount)
    s.check("likes after 50 increments", 50, likes(conn, 1))

with s.step("10 concurrent increments through psycopg_pool", call=INCR):
    pool = ConnectionPool(conninfo, min_size=2, max_size=10, kwargs={"autocommit": True}, open=True)
    errors, counts = [], []
    barrier = threading.Barrier(10)

    def worker():
        try:
            barrier.wait()
            with pool.connection() as c:
                counts.append(c.execute(INCR, (1,)).rowcount)
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
    pool.close()

with s.step("read back (text and binary formats)", call=READ):
    s.check("likes (text)", 60, likes(conn, 1))
    with conn.cursor(binary=True) as cur:
        s.last_sql = f"{READ} (binary)"
        cur.execute(READ, (1,))
        s.check("likes (binary)", (60,), cur.fetchone())
    rows = run(conn, "SELECT id, likes FROM posts WHERE id IN (%s, %s, %s)", (1, 2, 3)).fetchall()
    s.check("IN list", [(1, 60), (2, 0), (3, 0)], sorted(rows))

UPSERT = ("INSERT INTO posts AS p (id, title, likes) VALUES (%s, %s, %s) "
          "ON CONFLICT (id) DO UPDATE SET likes = p.likes + EXCLUDED.likes RETURNING likes")
with s.step("upsert increment (INSERT ... ON CONFLICT DO UPDATE)", call=UPSERT):
    s.check("upsert of an existing row: RETURNING likes", (65,), run(conn, UPSERT, (1, "ignored", 5)).fetchone())
    s.check("upsert of a new row: RETURNING likes", (5,), run(conn, UPSERT, (20, "new", 5)).fetchone())
    s.check("upsert of that row again", (10,), run(conn, UPSERT, (20, "new", 5)).fetchone())
    s.check("likes of row 1", 65, likes(conn, 1))

with s.step("UPDATE of a missing row reports 0 rows", call=INCR):
    s.check("rowcount", 0, run(conn, INCR, (999,)).rowcount)
    s.check("row 999", None, likes(conn, 999))

with s.step("set to an absolute value", call="UPDATE posts SET likes = %s WHERE id = %s RETURNING likes"):
    row = run(conn, "UPDATE posts SET likes = %s WHERE id = %s RETURNING likes", (1000, 1)).fetchone()
    s.check("RETURNING likes", (1000,), row)
    s.check("likes", 1000, likes(conn, 1))
    run(conn, INCR, (1,))
    s.check("likes after one more increment", 1001, likes(conn, 1))

with s.step("delete the row", call="DELETE FROM posts WHERE id = %s"):
    s.check("rowcount", 1, run(conn, "DELETE FROM posts WHERE id = %s", (1,)).rowcount)
    s.check("row 1 after delete", None, likes(conn, 1))
    s.check("increment of the deleted row: rowcount", 0, run(conn, INCR, (1,)).rowcount)

with s.step("transaction that commits (conn.transaction())"):
    with conn.transaction():
        run(conn, "INSERT INTO posts (id, title) VALUES (%s, %s)", (10, "txn"))
        for _ in range(5):
            run(conn, INCR, (10,))
    s.check("likes after commit", 5, likes(conn, 10))

with s.step("transaction that rolls back (psycopg.Rollback)"):
    with conn.transaction():
        run(conn, "UPDATE posts SET likes = likes + %s WHERE id = %s", (100, 10))
        run(conn, "INSERT INTO posts (id, title) VALUES (%s, %s)", (11, "rolled back"))
        raise psycopg.Rollback()
    s.check("likes after rollback", 5, likes(conn, 10))
    s.check("row inserted in the rolled-back transaction", None, likes(conn, 11))

with s.step("default (non-autocommit) mode: commit() then rollback()"):
    with psycopg.connect(conninfo) as c2:
        run(c2, INCR, (10,))
        c2.commit()
        run(c2, INCR, (10,))
        c2.rollback()
    s.check("likes", 6, likes(conn, 10))

with s.step("an error inside a transaction aborts it; the connection stays usable"):
    def failing():
        with conn.transaction():
            run(conn, INCR, (10,))
            run(conn, "SELECT nosuchcolumn FROM posts WHERE id = %s", (10,))
    s.expect_error("SELECT of a missing column", failing, sqlstate="42703")
    s.check("likes (the increment before the error was rolled back)", 6, likes(conn, 10))

conn.close()
s.done()
