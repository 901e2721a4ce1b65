from django.urls import path

from recommender import views

app_name = "recommender"
urlpatterns = [
    path("<slug:mood>/more/", views.more_songs, name="more"),
]
