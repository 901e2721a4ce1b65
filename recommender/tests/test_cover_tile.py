"""A song without a cover shows its artist's initials on the mood's colour."""

import pytest
from django.template.loader import render_to_string

from moodsite.testing import make_song
from recommender.selection import SongPage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("mood", "text"), [("calm", "#fff"), ("happy", "var(--ink)")])
def test_missing_cover_is_a_tile_with_initials_on_the_mood_colour(mood, text):
    song = make_song(artists="Don Omar", cover_url="")
    covered = make_song(cover_url="https://i.scdn.co/image/x")
    page = SongPage(mood=mood, songs=[song, covered], pool_size=2)

    html = render_to_string("recommender/_song_list.html", {"page": page})

    assert f'style="background: var(--{mood}); color: {text};' in html
    assert 'aria-label="No cover for ' + song.name + '"' in html
    assert ">DO</div>" in html
    assert '<img class="cover" src="https://i.scdn.co/image/x"' in html
