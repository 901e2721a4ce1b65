"""music.catalogue: formats, validation, idempotent upserts, atomic batches."""

import re

import pytest

from music.catalogue import UnusableFile, import_catalogue_file
from music.catalogue.fields import PARSERS
from music.features import REQUIRED_FEATURES
from music.models import Song

pytestmark = pytest.mark.django_db


def song(catalogue, n):
    return Song.objects.get(spotify_id=catalogue.track_id(n))


# --- the four formats -------------------------------------------------------


def test_tidytuesday_rows_become_songs_with_features(catalogue):
    result = import_catalogue_file(catalogue.write("tidytuesday", [1, 2]))

    assert (result.rows_read, result.new, result.skipped) == (2, 2, 0)
    assert result.format_title == "TidyTuesday spotify_songs.csv"
    imported = song(catalogue, 1)
    assert imported.name == "Song 1"
    assert imported.artists == "Artist 1"
    assert imported.album == "Album 1"
    assert imported.album_id == catalogue.album_id(1)
    assert imported.genre == "pop"
    assert imported.release_date == "2019-06-14"
    assert imported.popularity == 66
    assert imported.danceability == pytest.approx(0.748)
    assert imported.loudness == pytest.approx(-2.634)
    assert (imported.key, imported.mode, imported.duration_ms) == (6, 1, 194754)
    assert imported.has_features is True
    assert imported.source == "csv:tidytuesday.csv"


def test_tidytuesday_repeated_track_keeps_the_first_genre(catalogue):
    rows = [
        catalogue.row("tidytuesday", 1, playlist_genre="edm"),
        catalogue.row("tidytuesday", 1, playlist_genre="rock"),
        2,
    ]
    result = import_catalogue_file(catalogue.write("tidytuesday", rows))

    assert (result.rows_read, result.new, result.duplicates) == (3, 2, 1)
    assert song(catalogue, 1).genre == "edm"


def test_tidytuesday_na_cells_are_missing_values(catalogue):
    rows = [
        catalogue.row("tidytuesday", 1, track_name="NA"),
        catalogue.row("tidytuesday", 2, track_album_name="NA"),
    ]
    result = import_catalogue_file(catalogue.write("tidytuesday", rows))

    assert [str(error) for error in result.errors] == ["line 2: track_name is required"]
    assert song(catalogue, 2).album == ""


def test_data_moods_ignores_the_playlist_mood_label(catalogue):
    rows = [catalogue.row("data_moods", 1, mood="Sad")]
    result = import_catalogue_file(catalogue.write("data_moods", rows))

    assert result.new == 1
    imported = song(catalogue, 1)
    assert imported.mood_override == ""
    assert imported.predicted_mood == ""
    assert imported.artists == "Artist 1"
    assert imported.duration_ms == 379266
    assert imported.time_signature == 4
    assert imported.mode is None  # data_moods has no mode column
    assert imported.has_features is True


def test_kaggle_artists_list_is_parsed_without_eval(catalogue):
    rows = [
        1,
        catalogue.row("kaggle_160k", 2, artists='["Guns N\' Roses"]'),
        catalogue.row("kaggle_160k", 3, artists="__import__('os').getcwd()"),
    ]
    result = import_catalogue_file(catalogue.write("kaggle_160k", rows))

    assert result.new == 2
    assert song(catalogue, 1).artists == "Artist 1, Guest 1"
    assert song(catalogue, 2).artists == "Guns N' Roses"
    assert [error.line for error in result.errors] == [4]
    assert "is not a list" in result.errors[0].reason


def test_exportify_without_features_keeps_metadata(catalogue):
    result = import_catalogue_file(catalogue.write("exportify", [1]))

    assert (result.new, result.without_features) == (1, 1)
    imported = song(catalogue, 1)
    assert imported.has_features is False
    assert imported.danceability is None
    assert imported.artists == "Artist 1, Guest 1"
    assert imported.cover_url == "https://i.scdn.co/image/cover1"
    assert imported.preview_url == "https://p.scdn.co/mp3-preview/1"
    assert imported.album_id == catalogue.album_id(1)
    assert imported.duration_ms == 210000


def test_exportify_with_features_and_genres(catalogue):
    result = import_catalogue_file(catalogue.write("exportify_features", [1]))

    assert (result.new, result.without_features) == (1, 0)
    imported = song(catalogue, 1)
    assert imported.has_features is True
    assert imported.genre == "dance pop"
    assert imported.time_signature == 4
    assert imported.tempo == pytest.approx(122.036)


def test_exportify_local_file_uri_is_a_bad_row(catalogue):
    rows = [catalogue.row("exportify", 1, **{"Track URI": "spotify:local:a:b:c:1"})]
    result = import_catalogue_file(catalogue.write("exportify", rows))

    assert result.skipped == 1
    assert "Track URI" in result.errors[0].reason


def test_column_order_does_not_matter(catalogue):
    header = ["valence", "tempo", "id", "name", "artist"] + [
        feature for feature in REQUIRED_FEATURES if feature not in ("valence", "tempo")
    ]
    values = {
        "id": catalogue.track_id(1),
        "name": "Shuffled",
        "artist": "Someone",
        **{feature: "0.5" for feature in REQUIRED_FEATURES},
        "loudness": "-6",
    }
    text = ",".join(header) + "\n" + ",".join(values[c] for c in header) + "\n"
    result = import_catalogue_file(catalogue.write_text(text))

    assert result.format_title == "data_moods.csv / moods1.csv"
    assert song(catalogue, 1).loudness == -6


# --- unusable files ---------------------------------------------------------


def test_unknown_header_names_the_formats_and_their_columns(catalogue):
    path = catalogue.write_text("title,singer\nHello,Adele\n")

    with pytest.raises(UnusableFile) as raised:
        import_catalogue_file(path)

    message = str(raised.value)
    assert "unrecognised CSV header" in message
    assert "title, singer" in message
    for expected in ("TidyTuesday", "data_moods.csv", "Kaggle 160k", "Exportify"):
        assert expected in message
    assert "track_id, track_name, track_artist" in message
    assert "Track URI, Track Name, Artist Name(s)" in message
    assert Song.objects.count() == 0


def test_header_missing_one_column_says_which(catalogue):
    header = [c for c in catalogue.header("tidytuesday") if c != "tempo"]
    path = catalogue.write_text(",".join(header) + "\n")

    with pytest.raises(UnusableFile, match=r"missing here: tempo\)"):
        import_catalogue_file(path)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (
            b"track_id,name\n\xff\xfe caf\xe9\n",
            "not UTF-8 text (invalid byte on line 2)",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text CSV file"),
        (b"\n\n", "no header row"),
    ],
)
def test_unusable_files_are_refused_before_any_write(catalogue, data, reason):
    with pytest.raises(UnusableFile, match=re.escape(reason)):
        import_catalogue_file(catalogue.write_bytes(data))


def test_missing_file_is_unusable(tmp_path):
    with pytest.raises(UnusableFile, match="no such file"):
        import_catalogue_file(tmp_path / "nope.csv")


def test_latin1_file_is_refused_even_when_bad_bytes_come_late(catalogue):
    rows = [catalogue.row("tidytuesday", n) for n in range(1, 4)]
    rows[2]["track_name"] = "Café"
    path = catalogue.write("tidytuesday", rows)
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))

    with pytest.raises(UnusableFile, match="line 4"):
        import_catalogue_file(path, batch_size=1)
    assert Song.objects.count() == 0


def test_header_only_file_imports_nothing(catalogue):
    result = import_catalogue_file(catalogue.write("tidytuesday", []))

    assert (result.rows_read, result.new) == (0, 0)


def test_byte_order_mark_is_ignored(catalogue):
    path = catalogue.write("data_moods", [1])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    assert import_catalogue_file(path).new == 1


# --- bad rows ---------------------------------------------------------------


def test_bad_rows_are_skipped_with_line_numbers_and_reasons(catalogue):
    rows = [
        1,
        catalogue.row("tidytuesday", 2, track_id="short"),
        catalogue.row("tidytuesday", 3, danceability="1.7"),
        catalogue.row("tidytuesday", 4, tempo="-1"),
        catalogue.row("tidytuesday", 5, key="12", mode="2"),
        catalogue.row("tidytuesday", 6, loudness="loud"),
        catalogue.row("tidytuesday", 7, track_name="  "),
        catalogue.row("tidytuesday", 8, track_album_release_date="14/06/2019"),
        9,
    ]
    result = import_catalogue_file(catalogue.write("tidytuesday", rows))

    assert (result.rows_read, result.new, result.skipped) == (9, 2, 7)
    reasons = {error.line: error.reason for error in result.errors}
    assert reasons == {
        3: "track_id 'short' is not a 22-character Spotify id",
        4: "danceability '1.7' is not in 0..1",
        5: "tempo '-1' is not in 0..",
        6: "key '12' is not an integer -1..11; mode '2' is not an integer 0..1",
        7: "loudness 'loud' is not a number",
        8: "track_name is required",
        9: "track_album_release_date '14/06/2019' is not a date like 2019, "
        "2019-06 or 2019-06-14",
    }
    assert set(Song.objects.values_list("spotify_id", flat=True)) == {
        catalogue.track_id(1),
        catalogue.track_id(9),
    }


def test_line_numbers_count_lines_inside_quoted_cells(catalogue):
    rows = [
        catalogue.row("data_moods", 1, name="Two\nlines"),
        catalogue.row("data_moods", 2, energy="-0.1"),
    ]
    result = import_catalogue_file(catalogue.write("data_moods", rows))

    assert [error.line for error in result.errors] == [4]
    assert song(catalogue, 1).name == "Two\nlines"


def test_row_with_wrong_cell_count_is_a_bad_row(catalogue):
    path = catalogue.write("data_moods", [1])
    with path.open("a") as file:
        file.write("only,three,cells\n")

    result = import_catalogue_file(path)

    assert result.new == 1
    assert str(result.errors[0]) == "line 3: has 3 cells, the header 19"


def test_empty_feature_cells_keep_the_song_without_features(catalogue):
    rows = [catalogue.row("tidytuesday", 1, valence="", tempo="nan")]
    result = import_catalogue_file(catalogue.write("tidytuesday", rows))

    assert (result.new, result.skipped, result.without_features) == (1, 0, 1)
    imported = song(catalogue, 1)
    assert imported.valence is None and imported.tempo is None
    assert imported.has_features is False


# --- re-imports -------------------------------------------------------------


def test_rerun_of_the_same_file_changes_nothing(catalogue):
    path = catalogue.write("tidytuesday", [1, 2, 3])
    import_catalogue_file(path)
    before = dict(Song.objects.values_list("spotify_id", "updated"))

    result = import_catalogue_file(path)

    assert (result.new, result.updated, result.unchanged) == (0, 0, 3)
    assert dict(Song.objects.values_list("spotify_id", "updated")) == before


def test_changed_features_clear_the_model_version_but_keep_the_prediction(catalogue):
    import_catalogue_file(catalogue.write("tidytuesday", [1, 2]))
    Song.objects.update(mood_model_version="v1", predicted_mood="happy")
    old_updated = song(catalogue, 1).updated
    rows = [
        catalogue.row("tidytuesday", 1, energy="0.2"),
        catalogue.row("tidytuesday", 2, track_popularity="90"),
    ]

    result = import_catalogue_file(catalogue.write("tidytuesday", rows))

    assert (result.updated, result.unchanged) == (2, 0)
    changed, relabelled = song(catalogue, 1), song(catalogue, 2)
    assert changed.energy == 0.2
    assert changed.mood_model_version == ""
    assert changed.predicted_mood == "happy"
    assert changed.updated > old_updated
    assert relabelled.popularity == 90
    assert relabelled.mood_model_version == "v1"


def test_reimport_never_touches_curation(catalogue):
    import_catalogue_file(catalogue.write("tidytuesday", [1]))
    Song.objects.update(mood_override="sad", excluded=True)

    rows = [catalogue.row("tidytuesday", 1, valence="0.99", track_name="Renamed")]
    import_catalogue_file(catalogue.write("tidytuesday", rows))

    imported = song(catalogue, 1)
    assert imported.name == "Renamed"
    assert (imported.mood_override, imported.excluded) == ("sad", True)


def test_reimport_fills_blanks_but_does_not_blank_known_values(catalogue):
    import_catalogue_file(catalogue.write("tidytuesday", [1]))
    rows = [catalogue.row("exportify", 1, **{"Album Name": "", "Popularity": ""})]

    result = import_catalogue_file(catalogue.write("exportify", rows))

    assert result.updated == 1
    imported = song(catalogue, 1)
    assert imported.cover_url == "https://i.scdn.co/image/cover1"
    assert imported.album == "Album 1"
    assert imported.popularity == 66
    assert imported.has_features is True  # Exportify's missing features kept
    assert imported.source == "csv:tidytuesday.csv"


def test_features_arriving_later_turn_has_features_on(catalogue):
    import_catalogue_file(catalogue.write("exportify", [1]))
    assert song(catalogue, 1).has_features is False

    result = import_catalogue_file(catalogue.write("tidytuesday", [1]))

    assert result.updated == 1
    assert song(catalogue, 1).has_features is True


# --- atomic batches ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_failed_batch_leaves_earlier_batches_and_nothing_of_itself(
    catalogue, monkeypatch
):
    """The database itself refuses the second batch's update, after its insert ran.

    Validation is loosened so a negative popularity reaches the database, whose
    CHECK (popularity >= 0) constraint rejects the bulk update.
    """
    Song.objects.create(spotify_id=catalogue.track_id(4), name="Old", popularity=10)
    monkeypatch.setitem(PARSERS, "popularity", int)
    rows = [
        1,
        2,
        3,  # batch 2 starts here (line 4): a new song, inserted first...
        catalogue.row("tidytuesday", 4, track_popularity="-1"),  # ...then this fails
        5,
    ]

    result = import_catalogue_file(catalogue.write("tidytuesday", rows), batch_size=2)

    assert "batch starting on line 4" in result.aborted
    assert result.new == 2
    assert set(Song.objects.values_list("spotify_id", flat=True)) == {
        catalogue.track_id(1),
        catalogue.track_id(2),
        catalogue.track_id(4),
    }
    assert song(catalogue, 4).popularity == 10
