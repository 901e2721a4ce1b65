from django.apps import AppConfig


class MusicConfig(AppConfig):
    name = "music"

    def ready(self):
        from music import checks  # noqa: F401 (registers the system checks)
