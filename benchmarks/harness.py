"""What the HTTP, soak and pool benchmarks share: a seeded database, a throwaway
PostgreSQL, gunicorn on loopback with DEBUG off, wrk runs, and result tables
(printed, as JSON in benchmarks/results/, and as Markdown for docs/benchmarks/).

Only the standard library here: the scripts drive the site from outside, as a
client would, and run Django only in subprocesses (or, for the pool benchmark,
after pointing it at the throwaway database).
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import random
import secrets
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WRK_SCRIPTS = Path(__file__).resolve().parent / "wrk"
RESULTS = Path(__file__).resolve().parent / "results"
CATALOGUE = REPO.parent / "shared" / "data" / "songs" / "spotify_songs.csv"
PYTHON = sys.executable
MOODS = ("calm", "happy", "energetic", "sad")
# The load when the script started, before it added its own.
STARTING_LOAD = os.getloadavg()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def site_environment(database_url):
    """Production's settings, over plain HTTP on loopback, on `database_url`."""
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "HTTPS")}
    return env | {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        # Capacity, not the per-address limits: every request comes from 127.0.0.1.
        "ANALYSES_PER_MINUTE": "0",
        "ADDRESS_READINGS_PER_SECOND": "0",
    }


def use_site_settings(database_url="sqlite:///:memory:"):
    """For a script that sets Django up in its own process: production's
    settings as site_environment() gives them (DEBUG off, a fresh key)."""
    os.environ.update(site_environment(database_url))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moodsite.settings")


def setup_django(database_url="sqlite:///:memory:"):
    """use_site_settings(), then django.setup(): the preamble of a script
    that reads photos or models through the site's own code."""
    use_site_settings(database_url)
    import django

    django.setup()


def manage(env, *args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=REPO, env=env, check=True)


# -- song pools -----------------------------------------------------------------

# Every NOT NULL column of music_song, in COPY/INSERT order, for synthetic rows.
SONG_COLUMNS = (
    "spotify_id name artists album album_id cover_url preview_url genre "
    "release_date popularity danceability acousticness energy instrumentalness "
    "liveness valence loudness speechiness tempo duration_ms key mode "
    "time_signature has_features predicted_mood mood_confidence mood_score "
    "mood_model_version classified_at mood_override excluded source created updated "
    "feature_source version_key is_primary_version awaiting_approval"
).split()


def synthetic_songs(count, seed=0):
    """`count` classified songs: moods spread evenly, 3% overridden, 2% excluded."""
    rng = random.Random(seed)
    now = datetime.datetime.now(datetime.UTC).isoformat()
    for n in range(count):
        features = [round(rng.random(), 3) for _ in range(6)]
        yield (
            f"{n:022d}",
            f"Synthetic song {n}",
            f"Artist {n % 5000}",
            f"Album {n % 20000}",
            "",
            "",
            "",
            "pop",
            "2020-01-01",
            rng.randrange(100),
            *features,
            round(-20 + 18 * rng.random(), 2),
            round(rng.random() / 3, 3),
            round(60 + 120 * rng.random(), 1),
            180_000 + rng.randrange(120_000),
            rng.randrange(12),
            rng.randrange(2),
            4,
            True,
            rng.choice(MOODS),
            round(0.25 + 0.75 * rng.random(), 4),
            round(rng.random(), 6),
            "synthetic",
            now,
            rng.choice(MOODS) if rng.random() < 0.03 else "",
            rng.random() < 0.02,
            "benchmark",
            now,
            now,
            "catalogue",
            f"synthetic song {n}|artist {n % 5000}",
            True,
            False,
        )


def seed_sqlite(path, count):
    """Insert synthetic songs into a migrated SQLite database, quickly."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db, db:
        marks = ",".join("?" * len(SONG_COLUMNS))
        db.executemany(
            f"INSERT INTO music_song ({','.join(SONG_COLUMNS)}) VALUES ({marks})",
            synthetic_songs(count),
        )


@contextlib.contextmanager
def seeded_sqlite(songs=None):
    """A migrated SQLite file with a song pool; yields (database URL, description).

    The catalogue (imported and classified by the site's own commands) when it
    is there and no count is asked for; synthetic songs otherwise.
    """
    with tempfile.TemporaryDirectory(prefix="moodsite-bench-") as folder:
        path = Path(folder) / "db.sqlite3"
        url = f"sqlite:///{path}"
        env = site_environment(url)
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        if songs is None and CATALOGUE.exists():
            manage(env, "import_songs", str(CATALOGUE), "--verbosity", "0")
            manage(env, "classify_songs", "--verbosity", "0")
            description = f"SQLite, {CATALOGUE.name} imported and classified"
        else:
            seed_sqlite(path, songs or 30_000)
            description = f"SQLite, {songs or 30_000} synthetic songs"
        yield url, description


@contextlib.contextmanager
def throwaway_postgres():
    """A PostgreSQL cluster on a free loopback port for this run only (as .ci/run).

    Yields the URL of its `moodsite` database; everything is deleted afterwards.
    """
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not bins:
        raise SystemExit("PostgreSQL binaries not found under /usr/lib/postgresql")
    pg_bin = bins[-1].parent
    as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    data = Path(tempfile.mkdtemp(prefix="moodsite-pg-"))
    if as_pg:
        shutil.chown(data, "postgres")
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "check": True}
    try:
        subprocess.run(
            [*as_pg, pg_bin / "initdb", "-D", data, "-A", "trust", "-U", "postgres"],
            **quiet,
        )
        options = f"-h 127.0.0.1 -p {port} -k {data} -c fsync=off"
        subprocess.run(
            [*as_pg, pg_bin / "pg_ctl", "-D", data, "-l", data / "log", "-w"]
            + ["-o", options, "start"],
            **quiet,
        )
        subprocess.run(
            [*as_pg, pg_bin / "createdb", "-h", "127.0.0.1", "-p", str(port)]
            + ["-U", "postgres", "moodsite"],
            **quiet,
        )
        yield f"postgres://postgres@127.0.0.1:{port}/moodsite"
    finally:
        subprocess.run(
            [*as_pg, pg_bin / "pg_ctl", "-D", data, "-m", "fast", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(data, ignore_errors=True)


# -- gunicorn -------------------------------------------------------------------


class Gunicorn:
    """gunicorn serving the site on 127.0.0.1 (DEBUG off), started and stopped."""

    def __init__(
        self,
        database_url,
        *,
        workers=2,
        worker_class="sync",
        threads=1,
        app="moodsite.wsgi",
        env=None,
    ):
        """`app`: the WSGI application (another one for a peer); `env`: more
        environment variables for it."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.label = f"{workers} × {worker_class}" + (
            f" ({threads} threads)" if worker_class == "gthread" else ""
        )
        self.command = [
            PYTHON, "-m", "gunicorn", app,
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(workers), "--worker-class", worker_class,
            "--threads", str(threads), "--timeout", "60", "--no-control-socket",
        ]  # fmt: skip
        self.env = site_environment(database_url) | (env or {})
        self.process = None

    def __enter__(self):
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            self.command, cwd=REPO, env=self.env, stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.log_text()}")
            try:
                urllib.request.urlopen(self.url + "/", timeout=5).read()
                return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer in 60 s:\n{self.log_text()}")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def log_text(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def worker_pids(self):
        master = str(self.process.pid)
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if fields[1] == master:
                    pids.append(int(stat.parent.name))
        return pids

    def rss_bytes(self):
        """Resident memory of the master and its workers, in bytes."""
        total = 0
        for pid in [self.process.pid, *self.worker_pids()]:
            # A worker may exit meanwhile (no file), or be a zombie (no VmRSS).
            with contextlib.suppress(OSError, RuntimeError):
                total += status_kb("VmRSS", pid) * 1024
        return total


def status_kb(field, pid="self"):
    """A memory figure of a process (VmRSS, VmHWM, ...) from /proc, in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


# -- wrk ------------------------------------------------------------------------


# "status" counts answers other than 2xx/3xx.
WRK_ERROR_KINDS = ("connect", "read", "write", "status", "timeout")


def wrk(url, script, *, connections, duration, headers=(), script_args=()):
    """Run wrk with one of benchmarks/wrk/*.lua; its figures as a dict."""
    threads = max(1, min(connections, 2))
    command = ["wrk", "-t", str(threads), "-c", str(connections)]
    command += ["-d", f"{duration}s", "--timeout", "10s", "-s", script]
    for header in headers:
        command += ["-H", header]
    command += [url, "--", *script_args]
    done = subprocess.run(
        command, cwd=WRK_SCRIPTS, capture_output=True, text=True, check=True
    )
    for line in done.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            figures = json.loads(line.removeprefix("WRK_JSON "))
            break
    else:
        raise SystemExit(f"wrk gave no figures:\n{done.stdout}\n{done.stderr}")
    seconds = figures["duration_us"] / 1e6
    error_kinds = {kind: figures[kind] for kind in WRK_ERROR_KINDS}
    return {
        "connections": connections,
        "requests": figures["requests"],
        "req_per_s": round(figures["requests"] / seconds, 1),
        "p50_ms": figures["p50_us"] / 1000,
        "p95_ms": figures["p95_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "errors": sum(error_kinds.values()),
        "error_kinds": error_kinds,
    }


# -- reporting ------------------------------------------------------------------


def machine():
    """The CPU, its cores, Python, and the 1-minute load average at the script's
    start and now: timings taken beside other work are not comparable."""
    cpus = os.cpu_count()
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model or platform.processor()}, {cpus} CPUs, "
        f"Python {platform.python_version()}, load average "
        f"{STARTING_LOAD[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )


def emotion_members_parser(description):
    """Arguments of the scripts that read emotion members: their folders and
    FER2013 (after setup_django: the default lies in the shared data)."""
    from django.conf import settings

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("members", nargs="+", type=Path, help="member folders")
    parser.add_argument(
        "--data",
        type=Path,
        default=settings.SHARED_DATA_DIR / "fer2013" / "fer2013.npz",
    )
    return parser


def reading_cells(figures):
    """Table cells for an emotion reading's figures, as
    ml_training.face.ensemble.fit_and_measure returns them."""
    cells = {}
    for name, (accuracy, error) in figures.items():
        cells[f"{name} acc"] = f"{accuracy:.2%}"
        cells[f"{name} ECE"] = f"{error:.3f}"
    return cells


def print_table(rows, columns):
    table = [columns] + [[row.get(column, "") for column in columns] for row in rows]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(columns))]
    for line in table:
        print(
            "  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=True))
        )


def now():
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def write_json(name, payload):
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"machine": machine(), "when": now()} | payload
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nwrote {path.relative_to(REPO)}")


def add_markdown_option(parser):
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="FOLDER",
        help="also write the table as FOLDER/<script>.md (make bench: docs/benchmarks)",
    )


def markdown_table(rows, columns):
    """`rows` (dicts) as a Markdown table of `columns`, in that order."""

    def cell(value):
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(c) for c in columns) + " |"]
    lines.append("|" + "---|" * len(columns))
    for row in rows:
        lines.append("| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def write_markdown(folder, name, title, rows, columns, *, notes=""):
    """Write FOLDER/NAME.md: a line saying it is generated (the command, when,
    on what machine), the title, `notes` and the table. Nothing without a folder."""
    if folder is None:
        return None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    script = Path(sys.argv[0]).resolve()
    with contextlib.suppress(ValueError):
        script = script.relative_to(REPO)
    command = shlex.join(["python", str(script), *sys.argv[1:]])
    header = (
        f"*Generated, do not edit: `{command}` (`make bench` runs it) wrote this "
        f"on {now()}; machine: {machine()}.*\n"
    )
    body = [header, f"# {title}\n"]
    if notes:
        body.append(notes.strip() + "\n")
    body.append(markdown_table(rows, columns))
    path.write_text("\n".join(body))
    print(f"wrote {path}")
    return path


def median_p95(samples_ms):
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return round(statistics.median(ordered), 2), round(p95, 2)
