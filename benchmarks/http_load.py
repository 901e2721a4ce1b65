"""HTTP load on the site under gunicorn (DEBUG off, 127.0.0.1), measured with wrk.

    .venv/bin/python benchmarks/http_load.py [--worker-class sync,gthread]
        [--concurrency 1,8,32] [--duration 10] [--target NAME=KIND:PATH ...]

For each gunicorn worker class and each target, wrk runs at each concurrency;
the script prints req/s, p50/p95/p99 latency and errors, and writes
benchmarks/results/http_load.json (and, with --markdown FOLDER, the table as
FOLDER/http_load.md). The pool is spotify_songs.csv imported and
classified by the site's own commands (synthetic songs with --songs N or when
the catalogue is absent), in SQLite.

Target kinds (a target is NAME=KIND:PATH; --target replaces the defaults):
  get           GET PATH (e.g. api=get:/api/v1/songs?mood=happy)
  visit         GET PATH keeping the session cookie: a visit paging on
  photo         POST a 640-px face photo (multipart, with a CSRF token) to PATH
  photo-result  POST the photo to PATH once, then GET the page it redirects to
"""

import argparse
import http.cookies
import io
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

DEFAULT_TARGETS = [
    "home=get:/",
    "analyze=photo:/",
    "more=visit:/songs/happy/more/?fragment=1",
    "more_page=visit:/songs/happy/more/",
    "result=photo-result:/",
    "api_songs=get:/api/v1/songs?mood=happy",
]
PHOTO_SIDE = 640
COLUMNS = ["server", "target", "connections", "req_per_s"]
COLUMNS += ["p50_ms", "p95_ms", "p99_ms", "errors"]


def parse_target(text):
    name, _, spec = text.partition("=")
    kind, _, path = spec.partition(":")
    if not (name and path.startswith("/")) or kind not in (
        "get",
        "visit",
        "photo",
        "photo-result",
    ):
        raise argparse.ArgumentTypeError(f"not NAME=KIND:PATH: {text!r}")
    return name, kind, path


def photo_body(folder, field="photo"):
    """A multipart body with a 640-px JPEG of one face in form field `field`;
    (file, content type)."""
    import skimage.data
    from PIL import Image

    image = Image.fromarray(skimage.data.astronaut()).resize((PHOTO_SIDE, PHOTO_SIDE))
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=90)
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="face.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + jpeg.getvalue()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    path = Path(folder) / "photo-body.bin"
    path.write_bytes(body)
    return path, f"multipart/form-data; boundary={boundary}"


def csrf_headers(base_url):
    """A CSRF cookie from the upload page, sent back as cookie and header."""
    with urllib.request.urlopen(base_url + "/", timeout=30) as response:
        cookies = http.cookies.SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
    token = cookies["csrftoken"].value
    return [f"Cookie: csrftoken={token}", f"X-CSRFToken: {token}"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def result_path(base_url, path, body, headers):
    """POST the photo once; the path of the result page it redirects to."""
    request = urllib.request.Request(base_url + path, data=body.read_bytes())
    for header in headers:
        name, _, value = header.partition(": ")
        request.add_header(name, value)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        response = opener.open(request, timeout=60)
    except urllib.error.HTTPError as error:
        response = error
    location = response.headers.get("Location")
    if response.status not in (301, 302, 303) or not location:
        raise SystemExit(f"POST {path} answered {response.status}, not a redirect")
    return urllib.parse.urlsplit(location).path


def wrk_plan(server, kind, path, photo, headers):
    """(url, lua script, -H headers, script args) for one target."""
    content_type_header = [f"Content-Type: {photo[1]}"]
    if kind == "get":
        return server.url + path, "get.lua", [], []
    if kind == "visit":
        return server.url + path, "visit.lua", [], []
    if kind == "photo":
        return server.url + path, "photo.lua", headers, [str(photo[0]), photo[1]]
    target = result_path(server.url, path, photo[0], headers + content_type_header)
    return server.url + target, "get.lua", [], []


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker-class", default="sync,gthread")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="for gthread")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--songs", type=int, help="synthetic songs, not the CSV")
    parser.add_argument("--target", action="append", type=parse_target)
    harness.add_markdown_option(parser)
    args = parser.parse_args()
    targets = args.target or [parse_target(t) for t in DEFAULT_TARGETS]
    concurrencies = [int(c) for c in args.concurrency.split(",")]

    rows = []
    with (
        tempfile.TemporaryDirectory() as folder,
        harness.seeded_sqlite(args.songs) as (database_url, pool),
    ):
        photo = photo_body(folder)
        print(f"pool: {pool}; {len(targets)} targets; {args.duration} s per run")
        for worker_class in args.worker_class.split(","):
            with harness.Gunicorn(
                database_url,
                workers=args.workers,
                worker_class=worker_class,
                threads=args.threads if worker_class == "gthread" else 1,
            ) as server:
                headers = csrf_headers(server.url)
                for name, kind, path in targets:
                    url, script, extra, script_args = wrk_plan(
                        server, kind, path, photo, headers
                    )
                    # Warm up: every worker loads its models and connections.
                    harness.wrk(url, script, connections=4, duration=2,
                                headers=extra, script_args=script_args)  # fmt: skip
                    for connections in concurrencies:
                        row = harness.wrk(url, script, connections=connections,
                                          duration=args.duration, headers=extra,
                                          script_args=script_args)  # fmt: skip
                        row |= {"server": server.label, "target": name}
                        rows.append(row)
                        harness.print_table([row], COLUMNS)
    print()
    harness.print_table(rows, COLUMNS)
    harness.write_json(
        "http_load",
        {
            "pool": pool,
            "duration_s": args.duration,
            "targets": [f"{n}={k}:{p}" for n, k, p in targets],
            "runs": rows,
        },
    )
    harness.write_markdown(
        args.markdown,
        "http_load",
        "HTTP load (wrk against gunicorn, DEBUG off, 127.0.0.1)",
        rows,
        COLUMNS,
        notes=f"Pool: {pool}. {args.duration} s per wrk run after a 2 s warm-up; "
        "the photo throttle is off (`ANALYSES_PER_MINUTE=0`). Targets: "
        + ", ".join(f"`{n}` = {k} `{p}`" for n, k, p in targets)
        + ". Errors count connect, read, write, timeout and non-2xx/3xx answers.",
    )


if __name__ == "__main__":
    main()
