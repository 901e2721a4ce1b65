"""music.versions: one key for every version of a song, from real title patterns."""

import pytest

from music.versions import base_title, version_key


@pytest.mark.parametrize(
    "name",
    [
        "Salió El Sol",
        "Salio El Sol",
        "SALIÓ EL SOL",
        "Salió El Sol - Remastered 2016",
        "Salió El Sol - 2016 Remaster",
        "Salió El Sol (feat. Someone)",
        "Salió El Sol [with Someone] - Live",
        "Salió El Sol - Radio Edit",
        "Salió El Sol - Kygo Remix",
        "Salió El Sol - Ao Vivo",
        "Salió El Sol - Recorded at Spotify Studios NYC",
        "Salió El Sol - Single Version",
    ],
)
def test_versions_of_one_song_share_a_key(name):
    assert version_key(name, "Don Omar") == "salio el sol|don omar"


@pytest.mark.parametrize(
    "artists",
    ["Don Omar", "don omar", "Don Omar, Lucenzo", "Don Omar feat. Lucenzo"],
)
def test_the_main_artist_is_the_first_credited(artists):
    assert version_key("Salió El Sol", artists) == "salio el sol|don omar"


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("(I Can't Get No) Satisfaction", "(I Can't Get No) Satisfaction"),
        ("Send My Love (To Your New Lover)", "Send My Love (To Your New Lover)"),
        ("Part 1 - Intro", "Part 1 - Intro"),
        ("Comfortably Numb - 2011 Remastered Version", "Comfortably Numb"),
        ("Humpin' Around - Video Edit", "Humpin' Around"),
    ],
)
def test_title_words_stay_and_version_words_go(name, kept):
    assert base_title(name) == kept


def test_different_songs_or_artists_keep_different_keys():
    assert version_key("Salió El Sol", "Don Omar") != version_key("Sol", "Don Omar")
    assert version_key("Hello", "Adele") != version_key("Hello", "Lionel Richie")


def test_a_title_made_only_of_a_version_word_is_kept():
    assert base_title("(Remix)") == "(Remix)"
    assert version_key("", "") == "|"
