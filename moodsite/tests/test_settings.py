"""Settings from the environment: production's defaults unless asked otherwise."""

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS = Path(__file__).resolve().parents[1] / "settings.py"
ROOT = SETTINGS.parents[1]
STRONG_KEY = secrets.token_urlsafe(50)
# Everything settings.py reads that a test here may set.
VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "HTTPS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "DATABASE_URL",
    "DATABASE_CONNECT_TIMEOUT",
    "DATABASE_STATEMENT_TIMEOUT",
)


@pytest.fixture
def load_settings(monkeypatch):
    """load_settings(**env) -> the settings module's names, read afresh with env."""

    def load(**env):
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS))

    return load


def test_debug_is_off_unless_asked_for(load_settings):
    assert load_settings(SECRET_KEY=STRONG_KEY)["DEBUG"] is False
    assert load_settings(DEBUG="true")["DEBUG"] is True


@pytest.mark.parametrize(
    "key",
    [
        None,  # the dev key
        "short-but-random-Zq8",
        "a" * 60 + "bcd",  # long, too few different characters
        "django-insecure-" + STRONG_KEY,
    ],
)
def test_a_weak_secret_key_is_refused_without_debug(load_settings, key):
    env = {"SECRET_KEY": key} if key else {}
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_settings(**env)


def test_debug_runs_on_the_dev_key(load_settings):
    assert load_settings(DEBUG="true")["SECRET_KEY"]


def test_production_is_https_only(load_settings):
    names = load_settings(SECRET_KEY=STRONG_KEY)
    assert names["SECURE_SSL_REDIRECT"] and names["SECURE_HSTS_SECONDS"] >= 3600
    assert names["SESSION_COOKIE_SECURE"] and names["CSRF_COOKIE_SECURE"]
    assert "SECURE_PROXY_SSL_HEADER" not in names  # only behind a known proxy


def test_plain_http_when_asked_and_under_debug(load_settings):
    for names in (
        load_settings(SECRET_KEY=STRONG_KEY, HTTPS="false"),
        load_settings(DEBUG="true"),
    ):
        assert not names["SECURE_SSL_REDIRECT"] and not names["SECURE_HSTS_SECONDS"]
        assert not names["SESSION_COOKIE_SECURE"] and not names["CSRF_COOKIE_SECURE"]


def test_each_https_part_and_the_proxy_header_come_from_the_environment(
    load_settings,
):
    names = load_settings(
        SECRET_KEY=STRONG_KEY,
        SECURE_HSTS_SECONDS="60",
        SECURE_HSTS_PRELOAD="yes",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
    )
    assert names["SECURE_HSTS_SECONDS"] == 60 and names["SECURE_HSTS_PRELOAD"]
    assert names["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_a_bad_value_is_refused_by_name(load_settings):
    with pytest.raises(ImproperlyConfigured, match="HTTPS"):
        load_settings(SECRET_KEY=STRONG_KEY, HTTPS="maybe")


def test_database_timeouts_come_from_the_environment(load_settings):
    names = load_settings(
        SECRET_KEY=STRONG_KEY,
        DATABASE_URL="postgres://u:p@db.example:5432/moodsite",
        DATABASE_CONNECT_TIMEOUT="4",
        DATABASE_STATEMENT_TIMEOUT="1500",
    )
    options = names["DATABASES"]["default"]["OPTIONS"]
    assert options["connect_timeout"] == 4
    assert options["options"] == "-c statement_timeout=1500"


def test_sessions_are_signed_cookies(load_settings):
    engine = load_settings(SECRET_KEY=STRONG_KEY)["SESSION_ENGINE"]
    assert engine == "django.contrib.sessions.backends.signed_cookies"


def check_deploy(**extra_env):
    env = {name: value for name, value in os.environ.items() if name not in VARIABLES}
    env |= {"SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "moodsite.example"}
    command = [sys.executable, "manage.py", "check", "--deploy"]
    return subprocess.run(
        [*command, "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env | extra_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings_and_preload():
    result = check_deploy(SECURE_HSTS_PRELOAD="true")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_preload_check_deploy_says_only_w021():
    """docs/configuration.md: preloading is opt-in, so W021 is the one warning."""
    result = check_deploy()
    warnings = [line for line in result.stderr.splitlines() if "security.W" in line]
    assert result.returncode == 1
    assert len(warnings) == 1 and "security.W021" in warnings[0], result.stderr


@pytest.mark.django_db
def test_the_health_check_answers_plain_http_while_pages_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/").status_code == 301
    assert client.get("/healthz").status_code != 301


def test_trusted_proxies_are_addresses_or_networks(load_settings):
    names = load_settings(DEBUG="true", TRUSTED_PROXIES="10.0.0.5, 10.0.1.0/24")
    assert names["TRUSTED_PROXIES"] == ["10.0.0.5", "10.0.1.0/24"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        load_settings(DEBUG="true", TRUSTED_PROXIES="nginx")
