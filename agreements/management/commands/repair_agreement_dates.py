from django.core.management.base import BaseCommand

from agreements.services import agreement_dates_repair


class Command(BaseCommand):
    help = ("Correct agreement confirmations whose dateAgreed lies outside the bounds (before the agreement existed, "
            "or after the confirmation was recorded) to the time the confirmation was recorded, with an audit event "
            "per row. --dry-run lists them and changes nothing. See docs/operations.md.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what would be corrected; write nothing.")

    def handle(self, *args, dry_run=False, **options):
        changes = agreement_dates_repair(dry_run=dry_run)
        for change in changes:
            agreement = change["agreement"]
            self.stdout.write(
                f"agreement {agreement.public_id} (customer {agreement.customer.tenant_id}, "
                f"{agreement.first_name} {agreement.last_name}): dateAgreed {change['stored']} "
                f"({change['reason']}) -> {change['corrected'].isoformat()}")
        verb = "would be corrected (dry run: nothing changed)" if dry_run else "corrected"
        self.stdout.write(self.style.SUCCESS(f"{len(changes)} agreement(s) {verb}."))
