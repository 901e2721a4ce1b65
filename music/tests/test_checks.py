"""music.checks: a FEATURES_PROVIDER we have no provider for is a system error."""

from django.core import checks

from music.feature_providers import PROVIDERS


def test_each_known_provider_passes(settings):
    for name in PROVIDERS:
        settings.FEATURES_PROVIDER = name
        assert not checks.run_checks(tags=None, include_deployment_checks=False)


def test_an_unknown_provider_is_an_error_naming_the_choices(settings):
    settings.FEATURES_PROVIDER = "echonest"
    errors = [e for e in checks.run_checks() if e.id == "music.E001"]
    assert len(errors) == 1
    assert "none, spotify, reccobeats" in errors[0].msg
    assert "'echonest'" in errors[0].msg
