"""Release machines that missed their policy's heartbeat window (schedule it every few minutes)."""

from django.core.management.base import BaseCommand

from licensing.services.activation import machines_release_dead


class Command(BaseCommand):
    help = "Release machines silent for longer than their policy's heartbeat interval, freeing their seats."

    def handle(self, *args, **options):
        released = machines_release_dead()
        self.stdout.write(f"Released {released} machine{'s' if released != 1 else ''}.")
