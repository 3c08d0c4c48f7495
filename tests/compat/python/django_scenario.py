"""Django ORM scenario (django.db.backends.postgresql on psycopg 3): the app's committed
migration applied by `migrate` twice, Post.objects.create/bulk_create, the F() increment
`Post.objects.filter(pk=x).update(likes=F("likes") + 1)`, save() of an absolute value,
delete(), and transaction.atomic() that commits and one that rolls back. 10 threads (each
with its own Django connection) increment concurrently.
"""

import io
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "django_project"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compat_django.settings")

from compat_common import Scenario, env  # noqa: E402

# DJANGO_SETTINGS_MODULE=compat_django.settings_default_apps runs the same steps in a project
# that also has contenttypes and auth (client "django_default_apps").
_settings = os.environ["DJANGO_SETTINGS_MODULE"].rsplit(".", 1)[-1]
s = Scenario("django" + ("" if _settings == "settings" else "_" + _settings.removeprefix("settings_")))
env()  # every PG* variable must be set; settings.py reads them

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.migrations.recorder import MigrationRecorder  # noqa: E402
from django.db.models import F  # noqa: E402

from compatapp.models import Post  # noqa: E402


def _remember(execute, sql, params, many, context):
    s.last_sql = f"{' '.join(str(sql).split())}  params={params!r}"
    return execute(sql, params, many, context)


class Rollback(Exception):
    """Raised inside transaction.atomic() to roll it back."""


def hooked(conn):
    """Install the statement hook on this thread's connection (idempotent)."""
    if _remember not in conn.execute_wrappers:
        conn.execute_wrappers.append(_remember)


def migrate():
    out = io.StringIO()
    call_command("migrate", verbosity=1, interactive=False, stdout=out)
    for line in out.getvalue().splitlines():
        print(f"    | {line}")
    return out.getvalue()


def likes_of(pk):
    return Post.objects.filter(pk=pk).values_list("likes", flat=True).first()


hooked(connection)

with s.step("connect with a password", call="connection.ensure_connection()"):
    connection.ensure_connection()
    s.check("server version is known", True, connection.pg_version >= 90000)

with s.step("migrate applies compatapp.0001_initial", call="manage.py migrate"):
    migrate()
    applied = MigrationRecorder(connection).applied_migrations()
    s.check("recorded as applied", True, ("compatapp", "0001_initial") in applied)

with s.step("migrate again: sees the applied migration, no error", call="manage.py migrate"):
    out = migrate()
    s.check("nothing to apply", True, "No migrations to apply" in out)

with s.step("insert (objects.create, bulk_create)"):
    post = Post.objects.create(title="hello")
    pid = post.pk
    s.check("post.pk assigned", True, isinstance(pid, int))
    more = Post.objects.bulk_create([Post(title="two"), Post(title="three")])
    s.check("bulk_create ids are distinct", 3, len({pid, more[0].pk, more[1].pk}))
    other = more[0].pk
    print(f"    ids assigned by the server: {[pid, more[0].pk, more[1].pk]}")
    got = Post.objects.get(pk=pid)
    s.check("Post.objects.get(pk)", ("hello", 0), (got.title, got.likes))

with s.step("increment 50 times with filter(pk=x).update(likes=F('likes') + 1)"):
    for i in range(50):
        n = Post.objects.filter(pk=pid).update(likes=F("likes") + 1)
        if n != 1:
            s.check(f"rows updated by increment {i + 1}", 1, n)
    s.check("likes after 50 increments", 50, likes_of(pid))

with s.step("10 concurrent increments, one Django connection per thread"):
    errors, counts = [], []
    barrier = threading.Barrier(10)

    def worker():
        try:
            hooked(connections["default"])
            barrier.wait()
            counts.append(Post.objects.filter(pk=pid).update(likes=F("likes") + 1))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    s.check("rows updated", [1] * 10, counts)

with s.step("read back"):
    post = Post.objects.get(pk=pid)
    s.check("Post.objects.get(pk).likes", 60, post.likes)
    bulk = Post.objects.in_bulk([pid, other])
    s.check("in_bulk", {pid: 60, other: 0}, {k: v.likes for k, v in bulk.items()})

with s.step("upsert (bulk_create update_conflicts: ON CONFLICT DO UPDATE SET likes = EXCLUDED.likes)"):
    Post.objects.bulk_create([Post(id=pid, title="hello", likes=65), Post(id=1000, title="new", likes=5)],
                             update_conflicts=True, unique_fields=["id"], update_fields=["likes"])
    s.check("likes of the existing row", 65, likes_of(pid))
    s.check("likes of the new row (id 1000)", 5, likes_of(1000))

with s.step("set to an absolute value (save())"):
    post.likes = 1000
    post.save()
    post.refresh_from_db()
    s.check("likes after save()", 1000, post.likes)
    post.likes = 7
    post.save(update_fields=["likes"])
    s.check("likes after save(update_fields=['likes'])", 7, likes_of(pid))

with s.step("delete the row (instance.delete())"):
    deleted = post.delete()
    s.check("delete() count", (1, {"compatapp.Post": 1}), deleted)
    s.check("exists() after delete", False, Post.objects.filter(pk=pid).exists())
    s.check("increment of the deleted row", 0, Post.objects.filter(pk=pid).update(likes=F("likes") + 1))

with s.step("transaction.atomic() that commits"):
    with transaction.atomic():
        tpost = Post.objects.create(title="txn")
        for _ in range(5):
            Post.objects.filter(pk=tpost.pk).update(likes=F("likes") + 1)
    s.check("likes after commit", 5, likes_of(tpost.pk))

with s.step("transaction.atomic() that rolls back (exception inside)"):
    gone = None
    try:
        with transaction.atomic():
            Post.objects.filter(pk=tpost.pk).update(likes=F("likes") + 100)
            gone = Post.objects.create(title="rolled back")
            raise Rollback()
    except Rollback:
        pass
    s.check("likes after rollback", 5, likes_of(tpost.pk))
    s.check("row created in the rolled-back transaction exists", False, Post.objects.filter(pk=gone.pk).exists())

connection.close()
s.done()
