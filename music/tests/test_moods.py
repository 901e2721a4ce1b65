"""music.moods (and faces.emotions): the shared facts load neither pandas nor
TensorFlow, and neither does a web worker's start."""

import os
import subprocess
import sys

import pytest

from music import mood, moods

HEAVY = ("pandas", "tensorflow", "keras")


def modules_loaded_by(code):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "moodsite.settings"}
    probe = (
        f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize("module", ["music.moods", "faces.emotions"])
def test_the_leaf_modules_load_nothing_heavy(module):
    assert modules_loaded_by(f"import {module}") == []


def test_a_web_worker_starts_without_pandas_or_tensorflow():
    # What gunicorn loads: the apps (admin included) and the URLconf's views.
    start = (
        "from django.core.wsgi import get_wsgi_application\n"
        "get_wsgi_application()\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns"
    )
    assert modules_loaded_by(start) == []


def test_music_mood_serves_the_same_moods():
    assert mood.MOODS is moods.MOODS == ("calm", "happy", "energetic", "sad")
