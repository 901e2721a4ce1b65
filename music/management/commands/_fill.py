"""What fill_covers and fill_features share: reporting a music.enrichment fill.

(A leading underscore: Django does not take this module for a command.)
"""

import os

from django.core.management.base import BaseCommand, CommandError


class FillCommand(BaseCommand):
    def warn(self, message):
        self.stderr.write(self.style.WARNING(message))

    def summarize(self, summary, outcome):
        """The summary line, then each failed batch and any refusal."""
        self.stdout.write(summary)
        for error in outcome.errors:
            self.warn(f"  {error}")
        if outcome.refused:
            self.warn(outcome.refused)

    def finish(self, outcome, *, kept, again):
        """Fail when the fill did not get through: EX_TEMPFAIL when it was
        rate limited (`kept`: what stays stored), else `again`."""
        if outcome.stopped:
            raise CommandError(
                f"Stopped, {outcome.stopped}. {kept}; run {self.command_name} again "
                "later to continue.",
                returncode=os.EX_TEMPFAIL,
            )
        if outcome.refused or outcome.errors:
            raise CommandError(again)
