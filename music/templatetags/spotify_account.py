"""Template tags for the listener's Spotify controls (music/_spotify_*.html)."""

from functools import cached_property

from django import template
from django.conf import settings
from django.urls import reverse

from music import spotify_account as account
from music.moods import MOODS

register = template.Library()


class SpotifyState:
    """What the controls need; notices are taken (and so shown once) when read."""

    def __init__(self, request, mood=None):
        self.request = request
        self.mood = mood if mood in MOODS else None
        self.store = account.AccountStore.for_request(request)

    @cached_property
    def configured(self):
        return account.is_configured()

    @cached_property
    def connected(self):
        return account.is_connected(self.store)

    @property
    def status(self):
        """ "not_set_up", "connected" or "connect": which controls show."""
        if not self.configured:
            return "not_set_up"
        return "connected" if self.connected else "connect"

    @property
    def development_mode(self):
        return settings.SPOTIFY_DEVELOPMENT_MODE

    @cached_property
    def display_name(self):
        return self.store.get("display_name", "")

    @cached_property
    def notices(self):
        return self.store.take_notices()

    @cached_property
    def next(self):
        """Where connecting or disconnecting comes back to: a page a GET can show."""
        if self.request.method == "GET":
            return self.request.get_full_path()
        if self.mood:
            return reverse("recommender:more", args=[self.mood])
        return reverse("recommender:home")

    @cached_property
    def library(self):
        """Their own top tracks in this mood ("From your library"), if connected."""
        if not (self.connected and self.mood):
            return []
        return account.library_songs(account.taste_for_request(self.request), self.mood)


@register.simple_tag(takes_context=True)
def spotify_state(context, mood=None):
    """{% spotify_state mood as spotify %}: the visitor's Spotify connection."""
    return SpotifyState(context["request"], mood)
