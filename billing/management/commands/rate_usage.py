import re
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from billing.rating.services import organisations_with_unrated_usage, rate_usage
from core.errors import PartnerCenterError


class Command(BaseCommand):
    help = ("Rate the unrated usage of one partner (--organisation PARTNERID) or of every partner that has some, in "
            "one month (--month YYYY-MM) or in every month with unrated rows; PEC of those months is decided first. "
            "Example: python manage.py rate_usage --organisation 1234567 --month 2026-08")

    def add_arguments(self, parser):
        parser.add_argument("--organisation", default="", help="The billing partner's PartnerID (default: every one)")
        parser.add_argument("--month", default="", help="YYYY-MM (default: every month with unrated usage)")

    def handle(self, *args, organisation, month, **options):
        months = None
        if month:
            found = re.fullmatch(r"(\d{4})-(\d{2})", month.strip())
            if not found or not 1 <= int(found.group(2)) <= 12:
                raise CommandError(f"--month must be YYYY-MM, not {month!r}.")
            months = [date(int(found.group(1)), int(found.group(2)), 1)]
        if organisation:
            org = Organisation.objects.filter(partner_id=organisation.strip()).first()
            if org is None:
                raise CommandError(f"No partner with PartnerID {organisation}.")
            ids = [org.pk]
        else:
            ids = organisations_with_unrated_usage(months=months)
        wrote = False
        for organisation_id in ids:
            try:
                result = rate_usage(organisation_id=organisation_id, months=months)
            except PartnerCenterError as exc:
                raise CommandError(str(exc.description)) from None
            partner = Organisation.objects.values_list("partner_id", flat=True).get(pk=organisation_id)
            for done in result["months"]:
                wrote = True
                self.stdout.write(f"{partner} {done['month']}: {done['rows_rated']} rows rated in {done['groups']} "
                                  f"meters, {done['rows_unpriced']} without a price, {done['pec_days_written']} PEC "
                                  f"days written")
        if not wrote:
            self.stdout.write("Nothing to rate.")
