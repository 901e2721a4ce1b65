from datetime import timedelta

from django.core.management import call_command

from recommender.models import Reading
from recommender.tests.conftest import face


def test_deletes_only_readings_past_their_ttl(make_reading, settings, capsys):
    settings.READING_TTL_SECONDS = 600
    old, new = make_reading(face("sad")), make_reading(face("happy"))
    Reading.objects.filter(pk=old.pk).update(
        created=old.created - timedelta(seconds=601)
    )
    call_command("purge_readings")
    assert list(Reading.objects.all()) == [new]
    assert "Deleted 1 expired readings." in capsys.readouterr().out
