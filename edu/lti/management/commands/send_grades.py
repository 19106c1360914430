import time

from django.core.management.base import BaseCommand

from edu.lti import services


class Command(BaseCommand):
    help = (
        "Send the scores waiting in the LTI grade outbox to the platforms (AGS). "
        "Runs as a loop (every --interval seconds) unless --once is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument("--interval", type=float, default=15.0,
                            help="Seconds between passes in a loop (default 15).")
        parser.add_argument("--passes", type=int, default=0,
                            help="Stop after this many passes (0: never).")

    def handle(self, *args, once=False, interval=15.0, passes=0, **options):
        done = 0
        while True:
            sent, failed = services.send_due_grades()
            services.prune_nonces()
            if sent or failed or once:
                self.stdout.write(f"Sent {sent} score(s); {failed} failed and will be retried.")
            done += 1
            if once or (passes and done >= passes):
                return
            time.sleep(max(interval, 0.1))
