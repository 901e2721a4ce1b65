from django.core.management.base import BaseCommand

from recommender.services import purge_expired_readings


class Command(BaseCommand):
    help = (
        "Delete readings older than READING_TTL_SECONDS. Uploads purge them too; "
        "run this from cron where uploads are rare."
    )

    def handle(self, *args, **options):
        deleted = purge_expired_readings()
        self.stdout.write(f"Deleted {deleted} expired readings.")
