from django.urls import path

from recommender import api, home, live, playlist, views

app_name = "recommender"
urlpatterns = [
    path("", home.home, name="home"),
    path("r/<slug:reading_id>/", views.reading, name="reading"),
    path("r/<slug:reading_id>/correct/", views.correct, name="correct"),
    path("songs/<slug:mood>/more/", views.more_songs, name="more"),
    path("mood/<slug:mood>/", views.pick_mood, name="mood"),
    path("songs/live/frame/", live.live_frame, name="live_frame"),
    path("api/v1/analyze", api.analyze, name="api-analyze"),
    path("api/v1/songs", api.songs, name="api-songs"),
    path("healthz", api.healthz, name="healthz"),
    # Under /spotify/ beside the connect pages; the visit it reads is ours.
    path("spotify/playlist/<slug:mood>/", playlist.save_playlist, name="save-playlist"),
]
