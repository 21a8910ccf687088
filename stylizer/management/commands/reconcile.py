"""`manage.py reconcile`: make the stylization rows agree with the queue, once.

Every worker already does this at start and every STYLIZER_RECONCILE_INTERVAL seconds;
this is for operators (after restoring Redis, say) and for cron on a site with no
worker running.
"""

from django.core.management.base import BaseCommand

from stylizer.reconcile import stylization_reconcile


class Command(BaseCommand):
    help = "Fail stylizations whose worker or queue job is gone, and delete writes a crash cut short."

    def handle(self, *args, **options) -> None:
        fixed = stylization_reconcile()
        self.stdout.write(
            f"{fixed['stale']} running stylizations had lost their worker, {fixed['lost']} had lost their "
            f"queue job; {fixed['partial_files']} unfinished files deleted."
        )
