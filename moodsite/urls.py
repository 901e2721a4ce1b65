from django.contrib import admin
from django.urls import include, path, re_path

from moodsite.errors import api_not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("spotify/", include("music.urls")),
    path("", include("recommender.urls")),
    # Last: any other /api/ path is a JSON 404, with DEBUG on too.
    re_path(r"^api(/|$)", api_not_found),
]

handler404 = "moodsite.errors.page_not_found"
handler500 = "moodsite.errors.server_error"
