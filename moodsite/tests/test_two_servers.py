"""Two application servers behind a load balancer, sharing PostgreSQL and Redis.

Two gunicorn servers on their own ports behind nginx (round robin, configured
by deploy/nginx.conf.template, as docs/deployment.md describes), one
PostgreSQL database and one Redis: the photo and live budgets hold exactly
across both, a visit's "More songs" goes on without a repeat while its
requests alternate between the servers, a result URL made on one opens on the
other, and one server killed mid-load loses no reading and half-writes none
while the other serves. Needs TEST_POSTGRES_URL, TEST_REDIS_URL and nginx
(.ci/run provides all three); skipped without them unless REQUIRE_REDIS=1.
"""

import contextlib
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

import pytest

from moodsite.testing import encode_image

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.getenv("TEST_POSTGRES_URL", "")
REDIS_URL = os.getenv("TEST_REDIS_URL", "")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
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


@dataclass
class Site:
    """Two servers behind nginx: the balancer's URL, each server's, their logs."""

    url: str
    servers: list
    server_urls: list
    logs: list

    def kill(self, index):
        """SIGKILL one server: its gunicorn master and every worker."""
        os.killpg(self.servers[index].pid, signal.SIGKILL)
        self.servers[index].wait(10)

    def statuses(self, index, method_and_path):
        """The statuses server `index` has answered `method_and_path` with."""
        pattern = rf'"{re.escape(method_and_path)}[^"]*" (\d{{3}}) '
        return [int(s) for s in re.findall(pattern, self.logs[index].read_text())]


def nginx_config(folder, upstream_ports, listen_port):
    """The shipped template, filled in as its header says, in a throwaway nginx."""
    site = Template(NGINX_TEMPLATE.read_text()).safe_substitute(
        MOODSITE_SERVERS="".join(f"server 127.0.0.1:{p}; " for p in upstream_ports),
        MOODSITE_LISTEN=f"127.0.0.1:{listen_port}",
    )
    assert "${MOODSITE_" not in site
    (folder / "moodsite.conf").write_text(site)
    (folder / "nginx.conf").write_text(
        f"daemon off; pid {folder}/nginx.pid; error_log {folder}/error.log;"
        "events {} http {"
        f" access_log off; client_body_temp_path {folder}/body;"
        f" proxy_temp_path {folder}/proxy;"
        # In memory: nginx's workers may not write to the test's folder.
        " client_body_buffer_size 20m; proxy_buffering off;"
        f" include {folder}/moodsite.conf; }}"
    )
    return folder / "nginx.conf"


@contextlib.contextmanager
def two_servers(database_url, redis_url, folder, **settings):
    """Two gunicorns (one sync worker each) behind nginx; yields a Site."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(50),  # one key: cookies work on both
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",  # their logs are whole when a test fails
        **settings,
    }
    ports = [free_port(), free_port()]
    logs = [folder / f"server-{port}.log" for port in ports]
    servers = []
    for port, log in zip(ports, logs, strict=True):
        with open(log, "w") as output:
            servers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "moodsite.wsgi"]
                    + ["--workers", "1", "--bind", f"127.0.0.1:{port}"]
                    + ["--access-logfile", "-"],
                    cwd=ROOT,
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own group: killed master and workers
                )
            )
    balancer_port = free_port()
    config = nginx_config(folder, ports, balancer_port)
    nginx = subprocess.Popen([NGINX, "-c", str(config), "-p", str(folder)])
    try:
        for port in ports:
            wait_until_up(f"http://127.0.0.1:{port}/healthz")
        url = f"http://127.0.0.1:{balancer_port}"
        wait_until_up(url + "/healthz")
        yield Site(url, servers, [f"http://127.0.0.1:{p}" for p in ports], logs)
    finally:
        nginx.terminate()
        nginx.wait(10)
        for server, log in zip(servers, logs, strict=True):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
            # Shown with a failed test's output: what each server said.
            sys.stdout.write(log.read_text()[-3000:])


def redis_database(number):
    return urlsplit(REDIS_URL)._replace(path=f"/{number}").geturl()


@pytest.fixture(scope="module")
def balanced_site(shared_database, tmp_path_factory):
    """(balancer URL, [server processes], [server URLs]), with tight budgets."""
    with two_servers(
        shared_database,
        redis_database(7),
        tmp_path_factory.mktemp("nginx"),
        ANALYSES_PER_MINUTE=str(PHOTOS_PER_MINUTE),
        ADDRESS_READINGS_PER_SECOND="0",
        LIVE_FRAMES_PER_SECOND="1",
        LIVE_FRAME_BURST="3",
        SONGS_PER_PAGE="3",
    ) as site:
        yield site.url, site.servers, site.server_urls


@pytest.fixture
def site_to_kill(shared_database, tmp_path):
    """Two servers of its own, no budgets: one of them is killed."""
    with two_servers(
        shared_database,
        redis_database(8),
        tmp_path,
        ANALYSES_PER_MINUTE="0",
        ADDRESS_READINGS_PER_SECOND="0",
    ) as site:
        yield site


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


# Answers a client may send the photo again after: the balancer's "the server
# died before answering" (502) or "no server answered in time" (504), or the
# site's "busy" or "unavailable" (503).
RETRYABLE = {502, 503, 504}
UPLOADS, CLIENTS = 24, 4


def upload_until_answered(url, photo, tries=4):
    """POST the photo, again after a retryable answer; every answer's status,
    and the last answer."""
    statuses = []
    for _ in range(tries):
        answer = analyze(url, photo)
        statuses.append(answer.status_code)
        if answer.status_code not in RETRYABLE:
            break
    return statuses, answer


def readings(database_url):
    """{id: (kind, faces)} of every reading row in the shared database."""
    import psycopg

    with psycopg.connect(database_url) as connection:
        rows = connection.execute("SELECT id, kind, faces FROM recommender_reading")
        return {id_: (kind, faces) for id_, kind, faces in rows}


def is_complete(faces):
    """A face reading as save_reading writes it: each face's box and a finite
    probability for every emotion, summing to 1."""
    from faces.emotions import EMOTIONS

    return bool(faces) and all(
        len(face["box"]) == 4
        and set(face["probabilities"]) == set(EMOTIONS)
        and all(math.isfinite(p) for p in face["probabilities"].values())
        and abs(sum(face["probabilities"].values()) - 1) < 1e-3
        for face in faces
    )


def test_one_server_killed_mid_load_loses_and_half_writes_no_reading(
    site_to_kill, shared_database, astronaut
):
    """Four clients send 24 photos through the balancer; one server is
    SIGKILLed (master and worker) while it is reading one. Each photo ends in
    a 200 whose reading is whole in PostgreSQL, after at most a few retryable
    answers; no reading row lacks its faces. (The kill mostly lands while a
    photo is analysed; that a save cut short leaves nothing is pinned by
    recommender/tests/test_services.py.)"""
    site = site_to_kill
    before = set(readings(shared_database))
    photo = encode_image(astronaut, "JPEG")
    with ThreadPoolExecutor(CLIENTS) as clients:
        uploads = [
            clients.submit(upload_until_answered, site.url, photo)
            for _ in range(UPLOADS)
        ]
        # Mid-load: once the first server has answered two photos, while the
        # clients keep it busy with more.
        deadline = time.monotonic() + 60
        while len(site.statuses(0, "POST /api/v1/analyze")) < 2:
            assert time.monotonic() < deadline, "the first server answered no photo"
            time.sleep(0.02)
        site.kill(0)
        answered = [upload.result() for upload in uploads]

    statuses = [status for tries, _ in answered for status in tries]
    assert set(statuses) <= {200} | RETRYABLE, statuses
    retried = sum(len(tries) - 1 for tries, _ in answered)
    assert retried, "no upload was in flight on the killed server: not mid-load"
    assert [answer.status_code for _, answer in answered] == [200] * UPLOADS
    # The survivor answered everything after the kill, and never with a 500.
    survivor = site.statuses(1, "POST /api/v1/analyze")
    assert survivor and set(survivor) == {200}

    # Every answered photo's reading is in the database, whole, and its
    # result URL opens through the balancer (on the survivor).
    after = readings(shared_database)
    for _, answer in answered:
        path = urlsplit(answer.json()["result_url"]).path
        reading_id = path.strip("/").split("/")[-1]
        assert is_complete(after[reading_id][1])
        assert requests.get(site.url + path, timeout=30).status_code == 200
    # No half-written reading anywhere; the only readings nobody was told of
    # are those of uploads answered with a retryable error (saved, then the
    # server died before its answer got out).
    assert all(is_complete(faces) for kind, faces in after.values() if kind == "face")
    assert UPLOADS <= len(set(after) - before) <= UPLOADS + retried
    assert [requests.get(site.url + "/", timeout=30).status_code for _ in range(4)] == [
        200
    ] * 4
