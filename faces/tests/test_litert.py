"""faces.litert.RunnerCache: one runner per model file, replaced when the file is."""

import os

from faces.litert import RunnerCache


def test_a_file_is_loaded_once_and_a_reshipped_one_replaces_it(tmp_path):
    path = tmp_path / "model.tflite"
    path.write_bytes(b"v1")
    built = []

    def build(p, num_threads):
        built.append(p.read_bytes())
        return object()

    cache = RunnerCache("test model")
    first = cache.load(path, 1, build)
    assert cache.load(path, 1, build) is first and built == [b"v1"]
    path.write_bytes(b"v2")
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000))
    second = cache.load(path, 1, build)
    assert second is not first and built == [b"v1", b"v2"]
    assert len(cache.runners) == 1
    cache.clear()
    assert cache.runners == {}
