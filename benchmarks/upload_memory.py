"""Peak memory of the worst uploads within the limits, one subprocess per case.

    .venv/bin/python benchmarks/upload_memory.py [--json FILE] [--markdown FOLDER]

Each case runs in a fresh Python: Django set up, the emotion model loaded and
one small photo analysed (that is "idle"), then the upload goes through what
the site does with it (PhotoUploadForm: size check, decode; analyze_photo).
Peak RSS is read from /proc/self/status (VmHWM, reset through
/proc/self/clear_refs before the upload); "after" is VmRSS once it is done.
The concurrent case sends 8 worst-case uploads from 8 threads at once
(settings.MAX_CONCURRENT_DECODES of them decode at a time).

Then the same over HTTP, as the issue measured it: gunicorn (2 sync workers,
then 2 gthread workers of 4 threads) on a seeded SQLite pool, warmed with 16
face photos and 8 faceless ones (the scene model); 8 worst-case PNGs POSTed
at once. Per worker: idle RSS, peak
(VmHWM, reset before the burst) and RSS once all 8 have been answered.
"""

import argparse
import concurrent.futures
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
import harness  # noqa: E402
import http_load  # noqa: E402

# The largest of each kind within the limits (faces.images).
PNG_SIDE, WEBP_SIDE = 4898, 2236  # 24 MP, 5 MP
CASES = {
    "png-rgba": "PNG 4898 x 4898 RGBA (24 MP)",
    "png-rgb": "PNG 4898 x 4898 RGB (24 MP)",
    "jpeg": "JPEG 7300 x 5475 baseline (40 MP)",
    "jpeg-progressive": "JPEG 7300 x 5475 progressive (40 MP)",
    "webp-rgba": "WebP 2236 x 2236 RGBA lossless (5 MP)",
    "8x-png-rgba": "8 at once: PNG 4898 x 4898 RGBA",
}


def make_upload(case):
    import numpy as np
    from PIL import Image

    side = WEBP_SIDE if "webp" in case else PNG_SIDE
    if "rgba" in case:
        image = Image.new("RGBA", (side, side), (30, 120, 200, 128))
    elif "png" in case:
        image = Image.new("RGB", (side, side), (30, 120, 200))
    else:
        gradient = np.linspace(0, 255, 7300, dtype=np.uint8)[None, :, None]
        image = Image.fromarray(np.broadcast_to(gradient, (5475, 7300, 3)).copy())
    buffer = io.BytesIO()
    if "webp" in case:
        image.save(buffer, "WEBP", lossless=True, quality=0)
    elif "png" in case:
        image.save(buffer, "PNG")
    else:
        image.save(buffer, "JPEG", quality=90, progressive="progressive" in case)
    return buffer.getvalue()


def run_case(case):
    """In the subprocess: prints one JSON line of MB figures."""
    sys.path.insert(0, str(REPO))
    harness.use_site_settings()
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from faces.analysis import analyze_photo
    from faces.forms import PhotoUploadForm
    from faces.images import Busy
    from moodsite.testing import encode_image

    data = make_upload(case)

    def upload(content):
        file = SimpleUploadedFile("photo", content, "application/octet-stream")
        form = PhotoUploadForm(data={}, files={"photo": file})
        if not form.is_valid():
            raise SystemExit(f"refused: {form.errors}")
        return analyze_photo(form.take_photo())

    import skimage.data

    upload(encode_image(skimage.data.astronaut(), "JPEG"))  # warm: model, cascade
    idle = harness.status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to VmRSS
    busy = []
    if case.startswith("8x-"):

        def one():
            try:
                upload(data)
            except Busy:
                busy.append(1)

        threads = [threading.Thread(target=one) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        upload(data)
    peak, after = harness.status_kb("VmHWM"), harness.status_kb("VmRSS")
    print(
        json.dumps(
            {
                "upload_kb": len(data) // 1024,
                "idle_mb": idle / 1024,
                "peak_above_idle_mb": (peak - idle) / 1024,
                "after_above_idle_mb": (after - idle) / 1024,
                "busy_answers": len(busy),
            }
        )
    )


def post_photo(url, headers, body, content_type):
    request = urllib.request.Request(url + "/", data=body, method="POST")
    for header in [*headers, f"Content-Type: {content_type}"]:
        name, _, value = header.partition(": ")
        request.add_header(name, value)
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status


def http_case(worker_class):
    """8 worst-case uploads at once to gunicorn; MB figures summed over workers."""
    threads = 4 if worker_class == "gthread" else 1
    with (
        tempfile.TemporaryDirectory() as folder,
        harness.seeded_sqlite(songs=2000) as (database_url, _),
        harness.Gunicorn(
            database_url, worker_class=worker_class, threads=threads
        ) as server,
    ):
        face_file, content_type = http_load.photo_body(folder)
        face = face_file.read_bytes()
        # A faceless photo: the scene model, which such photos load on first
        # use, belongs to a worker's idle size as much as the emotion model.
        import skimage.data
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(skimage.data.coffee()).save(buffer, "JPEG")
        boundary = content_type.rsplit("=", 1)[1]

        def form(name, kind, content):
            return (
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
                    f'filename="{name}"\r\nContent-Type: {kind}\r\n\r\n'
                ).encode()
                + content
                + f"\r\n--{boundary}--\r\n".encode()
            )

        scene = form("coffee.jpg", "image/jpeg", buffer.getvalue())
        worst = make_upload("png-rgba")
        body = form("worst.png", "image/png", worst)
        headers = http_load.csrf_headers(server.url)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:

            def burst(content, count):
                calls = [
                    pool.submit(post_photo, server.url, headers, content, content_type)
                    for _ in range(count)
                ]
                return [call.result() for call in calls]

            burst(face, 16)  # warm: every worker loads its model and cascade
            burst(scene, 8)  # ... and the scene model
            pids = server.worker_pids()
            idle = {pid: harness.status_kb("VmRSS", pid) for pid in pids}
            for pid in pids:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            statuses = burst(body, 8)
        peak = {pid: harness.status_kb("VmHWM", pid) for pid in pids}
        after = {pid: harness.status_kb("VmRSS", pid) for pid in pids}
    idle_total = sum(idle.values())
    return {
        "upload_kb": len(worst) // 1024,
        "idle_mb": idle_total / 1024,
        "peak_above_idle_mb": sum(peak[p] - idle[p] for p in pids) / 1024,
        "after_above_idle_mb": sum(after[p] - idle[p] for p in pids) / 1024,
        "worst_worker_after_pct": max(
            100 * (after[p] - idle[p]) / idle[p] for p in pids
        ),
        "busy_answers": statuses.count(503),
        "statuses": sorted(set(statuses)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--json",
        type=Path,
        default=REPO / "benchmarks" / "results" / "upload_memory.json",
    )
    harness.add_markdown_option(parser)
    args = parser.parse_args()
    results = {}
    print(
        f"{'case':42s} {'size':>8s} {'idle MB':>8s} {'peak+ MB':>9s} {'after+ MB':>9s}"
    )
    for case, label in CASES.items():
        output = subprocess.run(
            [sys.executable, __file__, "--case", case],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        ).stdout
        row = json.loads(output.strip().splitlines()[-1])
        results[case] = {"label": label, **row}
        print(
            f"{label:42s} {row['upload_kb']:6d}KB {row['idle_mb']:8.0f} "
            f"{row['peak_above_idle_mb']:9.0f} {row['after_above_idle_mb']:9.0f}"
            + (f"  ({row['busy_answers']} busy)" if row["busy_answers"] else "")
        )
    for worker_class in ("sync", "gthread"):
        label = f"HTTP, 8 at once, 2 {worker_class} workers"
        row = http_case(worker_class)
        results[f"http-8x-{worker_class}"] = {"label": label, **row}
        print(
            f"{label:42s} {row['upload_kb']:6d}KB {row['idle_mb']:8.0f} "
            f"{row['peak_above_idle_mb']:9.0f} {row['after_above_idle_mb']:9.0f}"
            f"  (worst worker {row['worst_worker_after_pct']:+.1f}%, "
            f"answers {row['statuses']})"
        )
    args.json.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.json}")
    write_markdown(args.markdown, results)


def write_markdown(folder, results):
    rows = [
        {
            "upload": row["label"],
            "KB": row["upload_kb"],
            "idle MB": round(row["idle_mb"]),
            "peak above idle MB": round(row["peak_above_idle_mb"]),
            "after, above idle MB": round(row["after_above_idle_mb"]),
            "worst worker after": f"{row['worst_worker_after_pct']:+.1f}%"
            if "worst_worker_after_pct" in row
            else "",
            "503 busy": row["busy_answers"],
        }
        for row in results.values()
    ]
    harness.write_markdown(
        folder,
        "upload_memory",
        "Peak memory of the worst uploads within the limits",
        rows,
        list(rows[0]),
        notes="One fresh process per case up to the HTTP rows: Django set up, the "
        "emotion model loaded and one small photo read (idle), then the upload "
        "through `PhotoUploadForm` and `analyze_photo`; peak is VmHWM, reset "
        "before the upload. The HTTP rows: 8 of the RGBA PNGs POSTed at once to "
        "gunicorn (2 workers, warmed with 16 face photos and 8 faceless ones), "
        "summed over the "
        "workers; the worst worker's RSS afterwards against its own idle. "
        "Targets: peak ≤ 150 MB above idle; every worker within 10% of its idle "
        "RSS after 8 at once.",
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--case"]:
        run_case(sys.argv[2])
    else:
        main()
