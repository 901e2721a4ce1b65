from django.urls import path

from recommender import live, views

app_name = "recommender"
urlpatterns = [
    path("<slug:mood>/more/", views.more_songs, name="more"),
    path("live/frame/", live.live_frame, name="live_frame"),
]
