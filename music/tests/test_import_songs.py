"""The import_songs management command."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from moodsite import testing
from music.models import Song

pytestmark = pytest.mark.django_db

SONGS_DATA = settings.SHARED_DATA_DIR / "songs"


def run(*args):
    stdout, stderr = StringIO(), StringIO()
    call_command("import_songs", *map(str, args), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_summary_line_counts_everything(catalogue, no_mood_model):
    rows = [1, 2, catalogue.row("tidytuesday", 3, energy="2"), 1]
    path = catalogue.write("tidytuesday", rows, name="songs.csv")

    stdout, stderr = run(path, "--no-classify")

    assert (
        "songs.csv: 4 rows read, 2 new, 0 updated, 0 unchanged, 1 duplicate rows, "
        "1 skipped (bad rows), 0 without features" in stdout
    )
    assert "songs.csv line 4: energy '2' is not in 0..1" in stderr
    assert Song.objects.count() == 2


def test_rerun_reports_nothing_new_or_updated(catalogue, no_mood_model):
    path = catalogue.write("data_moods", [1, 2])
    run(path, "--no-classify")

    stdout, _ = run(path, "--no-classify")

    assert "0 new, 0 updated, 2 unchanged" in stdout


def test_several_files_get_a_total(catalogue, no_mood_model):
    first = catalogue.write("data_moods", [1, 2])
    second = catalogue.write("exportify", [2, 3])

    stdout, _ = run(first, second, "--no-classify")

    assert "total: 4 rows read, 3 new, 1 updated, 0 unchanged" in stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"a,b\n1,2\n", "unrecognised CSV header"),
        (b"name\ncaf\xe9\n", "not UTF-8 text"),
    ],
)
def test_unusable_file_is_a_command_error(catalogue, content, message):
    path = catalogue.write_bytes(content)

    with pytest.raises(CommandError, match=message):
        run(path, "--no-classify")


def test_missing_file_is_a_command_error_after_the_others_import(
    catalogue, tmp_path, no_mood_model
):
    good = catalogue.write("data_moods", [1])

    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "missing.csv", good, "--no-classify")
    assert Song.objects.count() == 1


def test_classifies_the_songs_the_model_has_not_seen(catalogue, mood_model):
    classified_before = testing.make_song(name="classified by tiny-v1")
    Song.objects.filter(pk=classified_before.pk).update(mood_model_version="tiny-v1")
    import_rows = [1, 2, catalogue.row("tidytuesday", 3, valence="")]
    path = catalogue.write("tidytuesday", import_rows)

    stdout, _ = run(path)

    # FEATURES: high energy, middling valence -> the tiny model says energetic.
    assert "classified: calm 0, happy 0, energetic 2, sad 0" in stdout
    classified = Song.objects.filter(mood_model_version="tiny-v1")
    assert set(classified.values_list("spotify_id", flat=True)) == {
        catalogue.track_id(1),
        catalogue.track_id(2),
        classified_before.spotify_id,
    }
    classified_before.refresh_from_db()
    assert classified_before.predicted_mood == "happy"  # not reclassified


def test_no_classify_skips_classification(catalogue, mood_model):
    run(catalogue.write("tidytuesday", [1]), "--no-classify")

    assert Song.objects.get().mood_model_version == ""


def test_missing_mood_model_is_a_warning_not_a_failure(catalogue, no_mood_model):
    _, stderr = run(catalogue.write("tidytuesday", [1]))

    assert "mood model unavailable: run classify_songs later" in stderr
    assert Song.objects.count() == 1


def test_database_refusal_mid_file_is_a_command_error(
    catalogue, monkeypatch, no_mood_model
):
    from music.catalogue.fields import PARSERS

    monkeypatch.setitem(PARSERS, "popularity", int)  # let -1 reach the CHECK
    rows = [1, catalogue.row("data_moods", 2, popularity="-1")]

    with pytest.raises(CommandError, match="batch starting on line 3"):
        run(catalogue.write("data_moods", rows), "--batch-size", "1")
    assert Song.objects.count() == 1


@pytest.mark.skipif(not SONGS_DATA.is_dir(), reason="shared/data/songs not present")
def test_imports_the_real_data_moods_catalogue(no_mood_model):
    stdout, _ = run(SONGS_DATA / "data_moods.csv", "--no-classify")

    assert "data_moods.csv: 686 rows read, 686 new" in stdout
    assert Song.objects.filter(has_features=True).count() == 686
