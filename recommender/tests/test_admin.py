import json
import shutil

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from recommender import services
from recommender.tests.conftest import face

SHIPPED = django_settings.BASE_DIR / "saved_models"
REPORTS_URL = "admin:recommender_modelreport_changelist"


@pytest.fixture
def models_dir(tmp_path, settings):
    """The shipped reports and plots (not the models) in a folder of their own."""
    for name in ("emotion_model.json", "mood_model.json", "emotion_confusion.png"):
        shutil.copy(SHIPPED / name, tmp_path / name)
    settings.MODELS_DIR = tmp_path
    return tmp_path


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_user("curator", password="x", is_staff=True)
    client.force_login(user)
    return client


def test_staff_see_both_reports_beside_the_corrections(staff, models_dir):
    emotion = json.loads((models_dir / "emotion_model.json").read_text())
    mood = json.loads((models_dir / "mood_model.json").read_text())
    reading = services.save_reading(faces=[face("fear")], image_size=(100, 100))
    services.correct_reading(reading=reading, choice="1", emotion="sad")

    index = staff.get(reverse("admin:index"))
    assert reverse(REPORTS_URL).encode() in index.content

    response = staff.get(reverse(REPORTS_URL))
    assert response.status_code == 200
    body = response.content.decode()
    for report in (emotion, mood):
        assert report["version"] in body and report["git_commit"] in body
    assert emotion["data_sha256"] in body and mood["data"][0]["sha256"] in body
    assert f"{emotion['public_test_accuracy']:.4f}" in body
    assert f"{mood['cv']['accuracy']:.4f}" in body
    # The emotion reading's check on faces it never trained on, and its cost.
    assert f"{emotion['ckplus']['accuracy']:.4f}" in body
    assert f"{emotion['ms_per_face']} ms" in body
    assert (
        '<th scope="row">Weights and activations stored as</th>'
        f"<td>{emotion['weights']}</td>"
    ) in body
    assert (
        '<th scope="row">Softmax temperature (fitted on PublicTest)</th>'
        f"<td>{emotion['temperature']}</td>"
    ) in body
    assert (
        '<th scope="row">Shift towards rarer emotions (fitted on PublicTest)</th>'
        f"<td>{emotion['prior_shift']} × log of each emotion&#x27;s training share</td>"
    ) in body
    assert (
        '<th scope="row">Neutral offset (fitted on PublicTest)</th>'
        f"<td>{emotion['neutral_offset']}</td>"
    ) in body
    assert f"mean {emotion['ckplus']['mean_recall']:.4f}" in body
    assert "Nov. 22, 2026" in body  # when each was trained
    # The emotion matrix's first cell and the corrections table's one count.
    assert f">{emotion['confusion_matrix'][0][0]}<" in body
    corrections = response.context["corrections"]
    assert corrections["total"] == 1
    afraid = dict((label, cells) for label, cells, _ in corrections["rows"])["afraid"]
    assert afraid == [0, 0, 0, 0, 1, 0, 0]  # afraid -> sad
    plot_url = reverse(
        "admin:recommender_modelreport_plot", args=["emotion_confusion.png"]
    )
    assert plot_url in body
    assert "emotion_curves.png" not in body  # not installed here: not linked


def test_plots_are_served_to_staff_only_and_only_the_known_ones(
    client, staff, models_dir, django_user_model
):
    url = reverse("admin:recommender_modelreport_plot", args=["emotion_confusion.png"])
    response = staff.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    # Only the known plots, and only those installed; a str never holds a "/".
    for name in ("emotion_model.json", "db.sqlite3", "mood_confusion.png"):
        assert staff.get(url.replace("emotion_confusion.png", name)).status_code == 404

    staff.logout()
    assert client.get(url).status_code == 302  # to the login page
    visitor = django_user_model.objects.create_user("visitor", password="x")
    client.force_login(visitor)
    assert client.get(url).status_code == 302
    assert client.get(reverse(REPORTS_URL)).status_code == 302


def test_staff_see_the_scene_models_report(staff, models_dir):
    report = {
        "version": "20261205-140000-c1437808",
        "model": "EfficientNet-Lite0 (ImageNet), fine-tuned for scene moods",
        "parameters": 3376000,
        "moods": ["calm", "happy", "energetic", "sad"],
        "validation": {
            "photos": 470,
            "groups": 400,
            "accuracy": 0.5617,
            "ece": 0.041,
            "confusion_matrix": [
                [71, 1, 2, 3],
                [4, 81, 5, 6],
                [7, 8, 52, 9],
                [9, 9, 9, 88],
            ],
            "per_class": {"calm": {"recall": 0.9221, "support": 77}},
        },
        "ms_per_photo": {"median": 23.4, "p95": 30.1, "threads": 1},
        "data": {"file": "scenes/labels.csv", "sha256": "feedbeef"},
        "terms": ["OASIS: free for research use", "Emotion6: academic research only"],
        "git_commit": "abc1234",
    }
    (models_dir / "scene_model.json").write_text(json.dumps(report))
    (models_dir / "scene_reliability.png").write_bytes(b"\x89PNG")
    body = staff.get(reverse(REPORTS_URL)).content.decode()
    section = body[body.index("Scene mood model") :]
    for text in (
        report["version"],
        "0.5617",
        "Group-wise validation accuracy (470 photos, 400 groups)",
        "0.041",
        "median 23.4, p95 30.1",
        "Emotion6: academic research only",
        ">88<",
        "0.922",
        "feedbeef",
        reverse("admin:recommender_modelreport_plot", args=["scene_reliability.png"]),
    ):
        assert text in section, text
    assert "scene_confusion.png" not in section  # not installed here: not linked


def test_missing_reports_say_so(staff, tmp_path, settings):
    settings.MODELS_DIR = tmp_path
    response = staff.get(reverse(REPORTS_URL))
    assert response.status_code == 200
    assert response.content.decode().count("Not installed") == 3


def test_corrections_are_read_only(staff, db):
    changelist = reverse("admin:recommender_emotioncorrection_changelist")
    assert staff.get(changelist).status_code in (200, 403)
    response = staff.get(reverse("admin:recommender_emotioncorrection_add"))
    assert response.status_code == 403
