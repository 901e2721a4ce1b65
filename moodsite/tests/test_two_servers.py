"""Two application servers behind a load balancer, sharing PostgreSQL and Redis.

Two gunicorn servers on their own ports behind nginx (round robin), one
PostgreSQL database and one Redis, as docs/configuration.md describes: the
photo and live budgets hold exactly across both, a visit's "More songs" goes
on without a repeat while its requests alternate between the servers, a
result URL made on one opens on the other, and with one server killed the
other serves. Needs TEST_POSTGRES_URL, TEST_REDIS_URL and nginx (.ci/run
provides all three); skipped without them unless REQUIRE_REDIS=1.
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from moodsite.testing import encode_image

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.getenv("TEST_POSTGRES_URL", "")
REDIS_URL = os.getenv("TEST_REDIS_URL", "")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PHOTOS_PER_MINUTE = 4

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (POSTGRES_URL and REDIS_URL and Path(NGINX).exists())
        and not os.getenv("REQUIRE_REDIS"),
        reason="needs TEST_POSTGRES_URL, TEST_REDIS_URL and nginx (.ci/run)",
    ),
]
requests = pytest.importorskip("requests")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code in (200, 503):
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} never answered")


@pytest.fixture(scope="module")
def shared_database():
    """A fresh PostgreSQL database, migrated, with songs in every mood."""
    import psycopg

    name = f"moodsite_two_{secrets.token_hex(4)}"
    server = urlsplit(POSTGRES_URL)._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl()
    env = {**os.environ, "DATABASE_URL": url, "HTTPS": "false"}
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "createcachetable"], cwd=ROOT, env=env, check=True)
    seed = (
        "from moodsite.testing import make_song\n"
        "from music.mood import MOODS\n"
        "[make_song(predicted_mood=m) for m in MOODS for _ in range(12)]\n"
    )
    subprocess.run([*manage, "shell", "-c", seed], cwd=ROOT, env=env, check=True)
    yield url
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def balanced_site(shared_database, tmp_path_factory):
    """(balancer URL, [server processes]): two gunicorns behind nginx."""
    import redis

    redis_url = urlsplit(REDIS_URL)._replace(path="/7").geturl()
    redis.Redis.from_url(redis_url).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": shared_database,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(50),  # one key: cookies work on both
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "ANALYSES_PER_MINUTE": str(PHOTOS_PER_MINUTE),
        "ADDRESS_READINGS_PER_SECOND": "0",
        "LIVE_FRAMES_PER_SECOND": "1",
        "LIVE_FRAME_BURST": "3",
        "SONGS_PER_PAGE": "3",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",  # their logs are whole when a test fails
    }
    ports = [free_port(), free_port()]
    folder = tmp_path_factory.mktemp("nginx")
    logs = [open(folder / f"server-{port}.log", "w") for port in ports]  # noqa: SIM115
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "moodsite.wsgi",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "--access-logfile",
                "-",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for port, log in zip(ports, logs, strict=True)
    ]
    balancer_port = free_port()
    upstreams = "".join(f"server 127.0.0.1:{port};" for port in ports)
    (folder / "nginx.conf").write_text(
        f"daemon off; pid {folder}/nginx.pid; error_log {folder}/error.log;"
        "events {} http {"
        f" access_log off; client_body_temp_path {folder}/body;"
        f" proxy_temp_path {folder}/proxy; client_max_body_size 20m;"
        # In memory: nginx's workers may not write to the test's folder.
        " client_body_buffer_size 20m; proxy_buffering off;"
        f" upstream site {{ {upstreams} }}"
        f" server {{ listen 127.0.0.1:{balancer_port};"
        "  location / { proxy_pass http://site; proxy_set_header Host $http_host;"
        "   proxy_next_upstream error timeout; } } }"
    )
    nginx = subprocess.Popen(
        [NGINX, "-c", str(folder / "nginx.conf"), "-p", str(folder)]
    )
    try:
        for port in ports:
            wait_until_up(f"http://127.0.0.1:{port}/healthz")
        url = f"http://127.0.0.1:{balancer_port}"
        wait_until_up(url + "/healthz")
        yield url, servers, [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        nginx.terminate()
        for server in servers:
            server.kill()
        nginx.wait(10)
        for server, log in zip(servers, logs, strict=True):
            server.wait(10)
            log.close()
            # Shown with a failed test's output: what each server said.
            sys.stdout.write(Path(log.name).read_text()[-3000:])


def analyze(url, photo):
    return requests.post(
        url + "/api/v1/analyze", files={"image": ("me.png", photo)}, timeout=60
    )


def test_the_photo_budget_holds_exactly_across_both_servers(balanced_site, astronaut):
    url, _, each_server = balanced_site
    photo = encode_image(astronaut)
    answers = [analyze(url, photo) for _ in range(PHOTOS_PER_MINUTE + 3)]
    statuses = [answer.status_code for answer in answers]
    assert statuses == [200] * PHOTOS_PER_MINUTE + [429] * 3
    assert all(answer.headers["Retry-After"] for answer in answers[-3:])
    # Spent: each server, asked directly, refuses too.
    assert [analyze(server, photo).status_code for server in each_server] == [429] * 2

    # The result URL, made by one server, opens on both (round robin).
    result = urlsplit(answers[0].json()["result_url"]).path
    assert [requests.get(url + result, timeout=30).status_code for _ in range(2)] == [
        200,
        200,
    ]


def test_more_songs_goes_on_without_a_repeat_across_servers(balanced_site):
    url, _, _ = balanced_site
    visit = requests.Session()
    seen = []
    for _ in range(4):  # 12 songs a mood, 3 a page; requests alternate servers
        page = visit.get(url + "/songs/happy/more/?fragment=1", timeout=30)
        assert page.status_code == 200
        seen.extend(re.findall(r'<p class="song-name">([^<]+)</p>', page.text))
    assert len(seen) == 12 and len(set(seen)) == 12


def test_the_live_budget_holds_across_both_servers(balanced_site, astronaut):
    url, _, _ = balanced_site
    visit = requests.Session()
    visit.get(url + "/", timeout=30)  # the CSRF cookie
    token = visit.cookies["csrftoken"]
    frame = encode_image(astronaut[::2, ::2], "JPEG")
    statuses = [
        visit.post(
            url + "/songs/live/frame/",
            files={"frame": ("f.jpg", frame, "image/jpeg")},
            headers={"X-CSRFToken": token, "Referer": url + "/"},
            timeout=60,
        ).status_code
        for _ in range(5)
    ]
    # The first frame is counted by address (it has no visitor cookie yet);
    # then the visitor's burst of 3, wherever each frame lands.
    assert statuses == [200, 200, 200, 200, 429]


def test_with_one_server_killed_the_other_serves(balanced_site):
    url, servers, _ = balanced_site
    servers[0].kill()
    servers[0].wait(10)
    statuses = [requests.get(url + "/", timeout=30).status_code for _ in range(6)]
    assert statuses == [200] * 6
