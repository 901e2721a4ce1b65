"""Save the songs a visit showed for a mood as the listener's Spotify playlist.

A recommender view: what the visit showed is the recommender's (the visit's
place in the pool); the Spotify side is music.spotify_account's.
"""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from music import spotify_account as account
from music.moods import MOODS
from recommender import services

# A saved playlist holds at most the visit's last this many songs of the mood.
PLAYLIST_MAX_SONGS = 200
# The HTTP status a save-playlist answer carries for each refusal.
ERROR_STATUS = {
    account.NotConnected: 409,
    account.ReconnectNeeded: 409,
    account.NotOnAllowList: 403,
    account.RateLimited: 429,
    account.SpotifyUnavailable: 503,
}


@require_POST
def save_playlist(request, mood):
    """Save the songs this visit showed for `mood` as a private playlist.

    Saving again in the same visit replaces that playlist's songs. Answers
    with a fragment (the page's script puts it in place) or a small page.
    """
    if mood not in MOODS:
        raise Http404("No such mood")
    store = account.AccountStore.for_request(request)
    today = f"{timezone.localdate():%Y-%m-%d}"
    context = {"mood": mood, "next_url": _page_of(mood)}
    status, retry_after = 200, None
    try:
        track_ids = _shown_track_ids(request, mood)
        if not track_ids:
            raise account.AccountError(f"No {mood} songs were shown yet to save.")
        context["playlist"] = account.save_playlist(
            store,
            name=f"moodsite · {mood} · {today}",
            key=f"{mood}:{today}",
            track_ids=track_ids,
            description=f"The {mood} songs moodsite picked for you on {today}.",
        )
        context["count"] = len(track_ids)
    except account.AccountError as error:
        context["error"] = error.message
        status = ERROR_STATUS.get(type(error), 400)
        retry_after = getattr(error, "retry_after", None)
        if isinstance(error, account.ReconnectNeeded | account.NotOnAllowList):
            account.disconnect(store)
        context["connect"] = not account.is_connected(store)
    template = "music/_playlist_status.html"
    if not request.GET.get("fragment"):
        template = "music/playlist_saved.html"
    response = render(request, template, context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _page_of(mood):
    # The result page answers a POST; its GET sibling is the mood's songs page.
    return reverse("recommender:more", args=[mood])


def _shown_track_ids(request, mood):
    """The Spotify ids of the songs this visit showed for `mood`, in order."""
    songs = services.songs_shown(
        mood=mood,
        session=request.session,
        prefer=account.taste_for_request(request),
        limit=PLAYLIST_MAX_SONGS,
    )
    return [song.spotify_id for song in songs]
