"""System checks for the music app's settings (run by manage.py and the tests)."""

from django.conf import settings
from django.core.checks import Error, register

from music.feature_providers import PROVIDERS


@register()
def features_provider_check(app_configs, **kwargs):
    if settings.FEATURES_PROVIDER in PROVIDERS:
        return []
    return [
        Error(
            f"FEATURES_PROVIDER must be one of {', '.join(PROVIDERS)}, "
            f"got {settings.FEATURES_PROVIDER!r}",
            id="music.E001",
        )
    ]
