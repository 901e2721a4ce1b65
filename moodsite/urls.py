from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("spotify/", include("music.urls")),
    path("", include("recommender.urls")),
]

handler500 = "moodsite.errors.server_error"
