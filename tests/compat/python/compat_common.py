"""Shared plumbing for the Python compatibility scenarios.

Each scenario is a list of named steps. A step prints its name; on success "ok" (and the
value it checked), on failure the step, the call it made (the SQL the client sent, when
the client lets us see it), what was expected, what came back, and the server's error
(SQLSTATE + message) found anywhere in the exception chain; then the process exits 1.
A scenario exits 0 only when every step passed. With COMPAT_KEEP_GOING=1 in the
environment a failed step is reported and the next step runs (to see every gap at once;
later steps may then fail for want of an earlier one's result); the exit status is still 1.

Connection settings come from the libpq environment the runner sets:
PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE.
"""

import os
import sys
import time
import traceback

_NOTHING = object()


def env():
    """The connection settings; every one is required, the password included."""
    out = {}
    for key in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"):
        val = os.environ.get(key)
        if not val:
            print(f"compat: environment variable {key} is not set", file=sys.stderr)
            sys.exit(2)
        out[key] = val
    out["PGPORT"] = int(out["PGPORT"])
    return out


class Mismatch(Exception):
    """A checked value differed from the expected one."""

    def __init__(self, what, expected, actual):
        super().__init__(f"{what}: expected {expected!r}, got {actual!r}")
        self.what, self.expected, self.actual = what, expected, actual


def server_error(exc):
    """SQLSTATE and message of the first server error in exc's chain, or None.

    Understands psycopg (sqlstate, diag), asyncpg (sqlstate, message), SQLAlchemy
    (DBAPIError.orig) and Django (wraps the driver error as __cause__).
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        state = getattr(exc, "sqlstate", None)
        if state:
            diag = getattr(exc, "diag", None)
            msg = getattr(diag, "message_primary", None) or getattr(exc, "message", None) or str(exc)
            return f"{state}: {msg}"
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return None


class Scenario:
    """Runs named steps for one client and reports them."""

    def __init__(self, client):
        self.client = client
        self.last_sql = None  # set by the client's statement hook, shown on failure
        self.steps = 0
        self.failed = []  # names of failed steps (COMPAT_KEEP_GOING)
        self.keep_going = bool(os.environ.get("COMPAT_KEEP_GOING"))
        self.started = time.monotonic()
        print(f"[{client}] scenario start (python {sys.version.split()[0]})", flush=True)

    def step(self, name, call=""):
        return _Step(self, name, call)

    def check(self, what, expected, actual):
        """Raise Mismatch unless actual == expected; print the value otherwise."""
        if actual != expected:
            raise Mismatch(what, expected, actual)
        print(f"    {what} = {actual!r}", flush=True)

    def expect_error(self, what, fn, sqlstate=None):
        """Call fn; it must raise. Returns the exception."""
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - any client's error type
            err = server_error(exc)
            if sqlstate and (err is None or not err.startswith(sqlstate)):
                raise Mismatch(what, f"server error {sqlstate}", err or repr(exc)) from exc
            print(f"    {what}: raised {type(exc).__name__} ({err})", flush=True)
            return exc
        raise Mismatch(what, "an error", "no error")

    def done(self):
        took = time.monotonic() - self.started
        if self.failed:
            print(f"[{self.client}] FAIL: {len(self.failed)} of {self.steps} steps failed "
                  f"({', '.join(self.failed)}) in {took:.1f}s", flush=True)
            sys.exit(1)
        print(f"[{self.client}] PASS: {self.steps} steps in {took:.1f}s", flush=True)
        sys.exit(0)


class _Step:
    def __init__(self, scenario, name, call):
        self.s, self.name, self.call = scenario, name, call

    def __enter__(self):
        self.s.steps += 1
        self.s.last_sql = None
        print(f"[{self.s.client}] step {self.s.steps}: {self.name}", flush=True)
        return self

    def __exit__(self, typ, exc, tb):
        if exc is None:
            print(f"[{self.s.client}] step {self.s.steps}: ok", flush=True)
            return False
        s = self.s
        print(f"[{s.client}] FAIL at step {s.steps}: {self.name}", flush=True)
        if self.call:
            print(f"    call:     {self.call}", flush=True)
        if s.last_sql:
            print(f"    last SQL: {s.last_sql}", flush=True)
        if isinstance(exc, Mismatch):
            print(f"    check:    {exc.what}", flush=True)
            print(f"    expected: {exc.expected!r}", flush=True)
            print(f"    actual:   {exc.actual!r}", flush=True)
            cause = exc.__cause__
        else:
            print(f"    expected: success", flush=True)
            print(f"    actual:   {type(exc).__name__}: {exc}", flush=True)
            cause = exc
        err = server_error(cause) if cause is not None else None
        print(f"    server error: {err or 'none (client-side failure)'}", flush=True)
        traceback.print_exception(typ, exc, tb, limit=-6, file=sys.stdout)
        sys.stdout.flush()
        if s.keep_going:
            s.failed.append(f"step {s.steps}")
            return True  # swallow the error: the next step runs
        os._exit(1)  # also ends any worker threads or event loop at once
