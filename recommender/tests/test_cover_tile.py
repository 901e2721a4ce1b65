"""A song without a cover shows its artist's initials on a tile of its own colour."""

import pytest
from django.template.loader import render_to_string

from moodsite.testing import make_song
from recommender.selection import SongPage

pytestmark = pytest.mark.django_db


def test_missing_cover_is_a_tile_with_initials_on_the_songs_own_hue():
    song = make_song(artists="Don Omar", cover_url="")
    covered = make_song(cover_url="https://i.scdn.co/image/x")
    page = SongPage(mood="calm", songs=[song, covered], pool_size=2)

    html = render_to_string("recommender/_song_list.html", {"page": page})

    assert f'style="--tile-hue: {song.tile_hue}"' in html
    assert 'aria-label="No cover for ' + song.name + '"' in html
    assert ">DO</div>" in html
    assert '<img class="cover" src="https://i.scdn.co/image/x"' in html


def test_two_songs_with_the_same_initials_get_different_tiles():
    # The Steely Dan and Snoop Dogg: "SD" twice on one page.
    steely = make_song(artists="Steely Dan", cover_url="")
    snoop = make_song(artists="Snoop Dogg", cover_url="")
    assert steely.initials == snoop.initials == "SD"
    assert steely.tile_hue != snoop.tile_hue
    assert steely.tile_hue == type(steely).objects.get(pk=steely.pk).tile_hue
