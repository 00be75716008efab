from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from billing.usage import simulate
from core.errors import PartnerCenterError


class Command(BaseCommand):
    help = ("Simulate realistic daily Azure usage of the demo organisations' Azure subscriptions (Microsoft's daily "
            "rated usage CSV) and import it: the month before this one in full and this month to date, or the last "
            "N days with --days. One demo subscription loses its Owner assignment mid-month (partner earned credit "
            "stops that day). Idempotent. Example: python manage.py simulate_usage --days 10")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help="Days back from today (up to yesterday); default: from the 1st of last month")
        parser.add_argument("--organisation", default="",
                            help="PartnerID of one selling organisation (default: the demo organisations)")
        parser.add_argument("--seed", type=int, default=simulate.DEMO_SEED, help="Seed of the generator")
        parser.add_argument("--out", default="", help="Only write the CSV files into this folder; import nothing")

    def handle(self, *args, days, organisation, seed, out, **options):
        if organisation:
            org = Organisation.objects.filter(partner_id=organisation.strip()).first()
            if org is None or org.tier == "indirect_reseller":
                raise CommandError(f"No direct-bill partner or indirect provider with PartnerID {organisation}.")
            organisations = [org]
        else:
            organisations = simulate.demo_organisations()
        try:
            result = simulate.simulate_usage(organisations=organisations, days=days, seed=seed, out_dir=out or None)
        except PartnerCenterError as exc:
            raise CommandError(str(exc.description)) from None
        except OSError as exc:
            raise CommandError(f"Cannot write into {out}: {exc.strerror}.") from None
        self.stdout.write(f"Usage from {result.first_day:%Y-%m-%d} to {result.last_day:%Y-%m-%d}:")
        for entry in result.files:
            line = f"  {entry['organisation']}: {entry['lines']} lines"
            if "path" in entry:
                line += f" written to {entry['path']}"
            if entry.get("import") is not None:
                done = entry["import"]
                line += (f", imported: {done.rows_added} added, {done.rows_replaced} replaced, "
                         f"{done.rows_unchanged} unchanged, {done.rows_unmatched} kept aside")
            self.stdout.write(line)
        if result.role_removal:
            self.stdout.write(f"  {result.role_removal}")
