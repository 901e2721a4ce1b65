import shutil

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from faces import classifier as classifier_module
from moodsite.testing import build_tiny_mood_model


@pytest.fixture
def models_dir(tmp_path, emotion_models_dir, settings):
    """Both models' files in one folder the site reads."""
    shutil.copytree(emotion_models_dir, tmp_path, dirs_exist_ok=True)
    (tmp_path / "mood_model.json").write_text('{"version": "mood-7"}')
    (tmp_path / "mood_model.keras").write_bytes(b"stand-in")
    settings.MODELS_DIR = tmp_path
    classifier_module.clear_cache()
    yield tmp_path
    classifier_module.clear_cache()


def test_healthy_gives_versions_and_songs_per_mood(client, models_dir, make_songs):
    make_songs("calm", 2)
    make_songs("sad", 1)
    response = client.get(reverse("recommender:healthz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "models": {"emotion": "tiny-1", "mood": "mood-7"},
        "songs": {"calm": 2, "happy": 0, "energetic": 0, "sad": 1},
    }


def test_reads_the_version_a_trained_mood_model_ships_with(
    client, db, tmp_path, emotion_models_dir, settings
):
    shutil.copytree(emotion_models_dir, tmp_path, dirs_exist_ok=True)
    build_tiny_mood_model(tmp_path, version="v-real")
    settings.MODELS_DIR = tmp_path
    classifier_module.clear_cache()
    response = client.get(reverse("recommender:healthz"))
    classifier_module.clear_cache()
    assert response.status_code == 200
    assert response.json()["models"]["mood"] == "v-real"


@pytest.mark.parametrize("missing", ["emotion_model.tflite", "mood_model.keras"])
def test_a_missing_model_is_503(client, db, models_dir, missing):
    (models_dir / missing).unlink()
    if missing.startswith("emotion"):
        (models_dir / "emotion_model.keras").unlink()
    response = client.get(reverse("recommender:healthz"))
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert len(response.json()["problems"]) == 1


def test_a_database_that_does_not_answer_is_503(client, db, models_dir):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(refuse):
        response = client.get(reverse("recommender:healthz"))
    assert response.status_code == 503
    assert response.json()["problems"] == ["database unavailable"]


def test_the_answer_names_what_is_down_and_the_log_holds_the_details(
    client, db, models_dir, caplog
):
    (models_dir / "emotion_model.tflite").unlink()

    def refuse(execute, sql, params, many, context):
        raise OperationalError('connection to server at "10.0.0.9", port 5432 failed')

    with connection.execute_wrapper(refuse):
        response = client.get(reverse("recommender:healthz"))
    body = response.content.decode()
    assert response.json()["problems"] == [
        "database unavailable",
        "emotion model unavailable",
    ]
    assert "10.0.0.9" not in body and "5432" not in body
    assert str(models_dir) not in body and "manage.py" not in body
    assert "10.0.0.9" in caplog.text and str(models_dir) in caplog.text


def test_only_the_keras_file_is_reported(client, db, models_dir):
    (models_dir / "emotion_model.tflite").unlink()
    response = client.get(reverse("recommender:healthz"))
    assert response.status_code == 503
    assert response.json()["problems"] == ["emotion model unavailable"]


@pytest.mark.parametrize("fault", ["nan", "fails"])
def test_a_model_that_fails_or_answers_nan_is_503(
    client, db, models_dir, broken_emotion_models, fault
):
    """The check runs the model as uploads do, and wants a finite answer."""
    shutil.copytree(broken_emotion_models[fault], models_dir, dirs_exist_ok=True)
    classifier_module.clear_cache()
    response = client.get(reverse("recommender:healthz"))
    assert response.status_code == 503
    assert response.json()["problems"] == ["emotion model unavailable"]
