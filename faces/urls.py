app_name = "faces"
urlpatterns = []
