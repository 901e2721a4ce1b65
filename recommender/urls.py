app_name = "recommender"
urlpatterns = []
