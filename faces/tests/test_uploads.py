"""Photo uploads never touch the disk, and too-large ones get the form's message."""

import os
import sys
import tempfile

import pytest
from django.test import override_settings

from faces.images import human_size

LIMIT = 200_000
_watched = []  # [(folder, paths opened in it)] while a test watches


def _record_opens(event, args):
    # Python's audit events see every file opened, temporary ones included,
    # even when they are deleted again before the request ends.
    if event == "open" and _watched and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        for folder, opened in _watched:
            if path.startswith(folder):
                opened.append(path)


sys.addaudithook(_record_opens)


@pytest.fixture
def watched_temp_dir(tmp_path, monkeypatch, settings):
    """Every temporary file Django or Python could make goes to a watched folder;
    yields the list of files opened there."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    opened = []
    _watched.append((str(folder), opened))
    yield opened
    _watched.clear()


def post_photo(client, data, name="photo.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post("/", {"photo": photo})


@override_settings(MAX_UPLOAD_BYTES=LIMIT, FILE_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_too_large_photo_gets_the_message_and_nothing_is_written(
    client, watched_temp_dir, db
):
    # Over both the photo limit and the size Django would spool to disk.
    response = post_photo(client, b"\xff\xd8" + b"\0" * (3 * LIMIT))
    assert response.status_code == 400
    assert f"larger than {human_size(LIMIT)}" in response.content.decode()
    assert watched_temp_dir == []


@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_good_photo_is_analysed_without_a_temp_file(
    client, watched_temp_dir, astronaut, encode, stand_in_emotion_model, db
):
    data = encode(astronaut, "JPEG")
    assert len(data) > 1000  # Django's own handlers would have spooled it
    response = post_photo(client, data)
    assert response.status_code == 303  # to the reading's page
    assert watched_temp_dir == []


@override_settings(
    FILE_UPLOAD_MAX_MEMORY_SIZE=1000,
    FILE_UPLOAD_HANDLERS=["django.core.files.uploadhandler.TemporaryFileUploadHandler"],
)
def test_the_watch_sees_a_spooled_upload(client, watched_temp_dir, db):
    # The checks above can fail: with Django's own handlers the same upload is
    # written to the watched folder (and deleted again after the request).
    post_photo(client, b"\xff\xd8" + b"\0" * 5000)
    assert watched_temp_dir


@override_settings(MAX_UPLOAD_BYTES=LIMIT)
def test_other_uploads_go_to_djangos_handlers(rf):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = SimpleUploadedFile("songs.csv", b"a,b\n" * (LIMIT // 2), "text/csv")
    request = rf.post("/admin/music/song/import/", {"csv_file": csv})
    upload = request.FILES["csv_file"]
    assert upload.size == len(b"a,b\n" * (LIMIT // 2))
    assert upload.read(4) == b"a,b\n"
