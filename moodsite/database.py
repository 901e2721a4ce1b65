"""The database's connection settings, and which of its errors mean "it is down".

Settings build DATABASES with `database_settings`; the middleware and the error
views answer an outage (`is_outage`) with a 503 instead of a traceback.
"""

import threading
import time
from contextlib import contextmanager

import dj_database_url
from django.db import DatabaseError, InterfaceError, OperationalError

# Reused connections live this long; health checks drop a dead one before use,
# so a restarted database costs no failed request.
CONN_MAX_AGE = 60


def database_settings(url, *, connect_timeout, statement_timeout_ms):
    """DATABASES["default"] for `url`, with timeouts so a hung database can't hang us.

    connect_timeout: seconds to connect (PostgreSQL; libpq waits at least 2),
    or to wait for a locked SQLite file. statement_timeout_ms: PostgreSQL ends
    a statement that runs longer (0: never).
    """
    config = dj_database_url.parse(
        url, conn_max_age=CONN_MAX_AGE, conn_health_checks=True
    )
    options = config.setdefault("OPTIONS", {})
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, behind the circuit breaker (DatabaseBreaker).
        config["ENGINE"] = "moodsite.backends.postgresql"
        options.setdefault("connect_timeout", connect_timeout)
        if statement_timeout_ms:
            server_options = options.get("options", "")
            options["options"] = (
                f"{server_options} -c statement_timeout={statement_timeout_ms}"
            ).strip()
    elif config["ENGINE"] == "django.db.backends.sqlite3":
        options.setdefault("timeout", connect_timeout)
        # WAL: readers don't wait for the writer, and a commit costs no fsync
        # of the whole file (synchronous=NORMAL is safe in WAL mode). Each
        # rate-limit check writes to the cache table: measured 49 ms a check
        # without, on the shared dev machine (benchmarks/budget_speed.py).
        options.setdefault(
            "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        )
        # A transaction takes the write lock when it begins: a deferred one
        # that read and then writes while another process committed fails at
        # once with "database is locked" instead of waiting `timeout`, which
        # let budget checks from several processes through (the database
        # cache's add() reads, then inserts).
        options.setdefault("transaction_mode", "IMMEDIATE")
    return config


def is_outage(error):
    """True for errors that say the database is unreachable, gone or too slow.

    OperationalError covers refused and timed-out connections and cancelled
    statements; InterfaceError a connection that died. A plain DatabaseError is
    what a driver raises when it can say no more. Its other subclasses
    (IntegrityError, ProgrammingError, DataError...) are bugs: they stay 500s.
    """
    return isinstance(error, OperationalError | InterfaceError) or (
        type(error) is DatabaseError
    )


# Seconds a database server that failed to connect is taken as down.
OPEN_SECONDS = 10


class DatabaseBreaker:
    """A circuit breaker per database server, per process.

    A hung server costs each connection attempt the connect timeout (3 s);
    under load every sync worker would sit in it, pages that need no database
    included. Once an attempt fails as an outage, new connections to that
    server fail at once (OperationalError, which pages answer with their 503)
    for OPEN_SECONDS; then one attempt is let through, and success closes it.
    """

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.open_until = {}
        self.lock = threading.Lock()

    @contextmanager
    def guard(self, server, outages=(OperationalError, InterfaceError)):
        """Around one connection attempt to `server`; `outages` are the driver's
        errors that mean it is down (Django wraps them only later)."""
        with self.lock:
            until = self.open_until.get(server, 0.0)
            if self.clock() < until:
                raise OperationalError(
                    "the database did not answer a moment ago; not trying again "
                    f"for {until - self.clock():.0f} s (circuit breaker)"
                )
            if until:
                # Half open: this attempt tries; the others keep failing fast.
                self.open_until[server] = self.clock() + OPEN_SECONDS
        try:
            yield
        except outages:
            with self.lock:
                self.open_until[server] = self.clock() + OPEN_SECONDS
            raise
        with self.lock:
            self.open_until.pop(server, None)

    def reset(self):
        with self.lock:
            self.open_until.clear()


breaker = DatabaseBreaker()
