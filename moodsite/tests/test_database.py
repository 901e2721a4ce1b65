import os
from urllib.parse import urlsplit

import pytest
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from django.db.utils import ConnectionHandler

from moodsite.database import database_settings, is_outage


def test_postgres_gets_connect_and_statement_timeouts():
    config = database_settings(
        "postgres://u@h/db?options=-c%20search_path%3Dsongs",
        connect_timeout=3,
        statement_timeout_ms=2000,
    )
    assert config["OPTIONS"]["connect_timeout"] == 3
    options = config["OPTIONS"]["options"]
    assert options == "-c search_path=songs -c statement_timeout=2000"
    assert config["CONN_HEALTH_CHECKS"] and config["CONN_MAX_AGE"] > 0


def test_no_statement_timeout_when_zero():
    config = database_settings(
        "postgres://u@h/db", connect_timeout=3, statement_timeout_ms=0
    )
    assert "options" not in config["OPTIONS"]


def test_sqlite_waits_for_a_lock_as_long_as_the_connect_timeout(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    config = database_settings(url, connect_timeout=4, statement_timeout_ms=1)
    assert config["OPTIONS"]["timeout"] == 4


def test_sqlite_writes_ahead_so_a_budget_check_costs_no_fsync(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    config = database_settings(url, connect_timeout=4, statement_timeout_ms=1)
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


@pytest.mark.parametrize(
    "error, outage",
    [
        (OperationalError("refused"), True),
        (InterfaceError("connection already closed"), True),
        (DatabaseError("the driver can say no more"), True),
        (IntegrityError("duplicate key"), False),
        (ProgrammingError("no such column"), False),
        (DataError("value too long"), False),
        (ValueError("not a database error"), False),
    ],
)
def test_only_unreachable_or_slow_databases_are_outages(error, outage):
    assert is_outage(error) is outage


@pytest.mark.postgres
def test_a_statement_past_the_timeout_is_cancelled_and_counts_as_an_outage(
    django_db_blocker,
):
    """On a real PostgreSQL (TEST_POSTGRES_URL, as .ci/run sets)."""
    url = os.getenv("TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TEST_POSTGRES_URL not set (.ci/run starts a PostgreSQL)")
    # The server's own database, which always exists.
    server_url = urlsplit(url)._replace(path="/postgres").geturl()
    config = database_settings(server_url, connect_timeout=3, statement_timeout_ms=200)
    connection = ConnectionHandler({"default": config})["default"]
    with django_db_blocker.unblock():
        try:
            with (
                pytest.raises(OperationalError) as raised,
                connection.cursor() as cursor,
            ):
                cursor.execute("SELECT pg_sleep(5)")
        finally:
            connection.close()
    assert "statement timeout" in str(raised.value) and is_outage(raised.value)
