"""The listener's own Spotify: connect, callback, disconnect, save as a playlist.

Thin views over music.spotify_account. Whatever Spotify answers, the
listener gets a page with a clear message (a notice on the page they came
from, or a small page of its own), never a 500.
"""

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from music import spotify_account as account


def _next_url(request, value=None):
    """Where to come back to: a path on this site, else the home page."""
    value = value if value is not None else request.GET.get("next", "")
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("recommender:home")


def _redirect_uri(request):
    return settings.SPOTIFY_REDIRECT_URI or request.build_absolute_uri(
        reverse("spotify:callback")
    )


@require_GET
def connect(request):
    """Send the visitor to Spotify to allow this site (authorization code + PKCE)."""
    store = account.AccountStore.for_request(request)
    next_url = _next_url(request)
    if not account.is_configured():
        store.add_notice(account.NotConfigured.message, level="error")
        return redirect(next_url)
    authorize_url = account.begin_connect(
        store, redirect_uri=_redirect_uri(request), next_url=next_url
    )
    return redirect(authorize_url)


@require_GET
def callback(request):
    """Spotify sends the visitor back here with a code (or an error) and our state."""
    store = account.AccountStore.for_request(request)
    next_url = _next_url(request, (store.get("pending") or {}).get("next", ""))
    try:
        account.finish_connect(store, request.GET)
    except account.StaleCallback as error:
        context = {
            "message": error.message,
            "next_url": next_url,
            "configured": account.is_configured(),
        }
        return render(request, "music/spotify_problem.html", context, status=400)
    except account.AccountError as error:
        store.add_notice(error.message, level="error")
        return redirect(next_url)
    _welcome(store)
    return redirect(next_url)


def _welcome(store):
    """Say who is connected and learn their taste; undo a connection Spotify refuses."""
    try:
        me = account.current_user(store)
        store.set("display_name", (me or {}).get("display_name") or "")
        account.taste_profile(store)
    except account.NotOnAllowList as error:
        account.disconnect(store)
        store.add_notice(error.message, level="error")
        return
    except account.AccountError as error:
        # Connected all the same; the next photo, frame or playlist sent (a
        # POST) fetches the taste again.
        store.add_notice(error.message, level="error")
        return
    store.add_notice(
        "Spotify is connected: songs by artists you play a lot now come first."
    )


@require_POST
def disconnect(request):
    """Forget the visitor's tokens (and all we learnt through them)."""
    store = account.AccountStore.for_request(request)
    account.disconnect(store)
    store.add_notice("Spotify is disconnected. This site no longer holds its tokens.")
    return redirect(_next_url(request, request.POST.get("next", "")))
