import json

from django.core.management.base import BaseCommand, CommandError

from billing.pricing.services import price_sheet_import
from core.errors import PartnerCenterError

from ._pricing import import_actor


class Command(BaseCommand):
    help = ("Import Microsoft's Azure plan price sheet (CSV) as a month's price list. Example: python manage.py "
            "import_price_sheet sheets.csv --market US --view azure_consumption --month 2026-12")

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file as Microsoft serves it")
        parser.add_argument("--market", required=True, help="ISO-2 market, e.g. US")
        parser.add_argument("--view", required=True, help="azure_consumption or azure_reservations")
        parser.add_argument("--month", required=True, help="YYYY-MM or YYYYMM")
        parser.add_argument("--email", default="", help="Import as this Global admin (default: the operator)")

    def handle(self, *args, file, market, view, month, email, **options):
        actor = import_actor(email, "import_price_sheet")
        try:
            with open(file, "rb") as stream:
                result = price_sheet_import(actor=actor, file=stream, market=market, view=view, month=month,
                                            file_name=file.rsplit("/", 1)[-1])
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        except PartnerCenterError as exc:
            lines = [str(exc.description)] + [f"line {p['line']}, {p['column'] or '-'}: {p['reason']}"
                                              for p in exc.data]
            raise CommandError("\n".join(lines)) from None
        report = result.report
        self.stdout.write(report["message"])
        if report.get("previousMonth"):
            self.stdout.write(f"Against {report['previousMonth']}: {report['added']} added, {report['removed']} "
                              f"removed, {report['changed']} changed.")
        if options.get("verbosity", 1) > 1:
            self.stdout.write(json.dumps(report, indent=2))
