from django.core.management.base import BaseCommand, CommandError

from billing.pricing.services import fx_rates_import
from core.errors import PartnerCenterError

from ._pricing import import_actor


class Command(BaseCommand):
    help = ("Import Microsoft's monthly exchange-rate file (CurrencyCode, USDPerUnit, Month). Example: python manage.py "
            "import_fx_rates fxrates.csv")

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file as Microsoft serves it")
        parser.add_argument("--month", default="", help="YYYY-MM: the month of rows whose Month is a bare year")
        parser.add_argument("--email", default="", help="Import as this Global admin (default: the operator)")

    def handle(self, *args, file, month, email, **options):
        actor = import_actor(email, "import_fx_rates")
        try:
            with open(file, "rb") as stream:
                result = fx_rates_import(actor=actor, file=stream, month=month or None,
                                         file_name=file.rsplit("/", 1)[-1])
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        except PartnerCenterError as exc:
            lines = [str(exc.description)] + [f"line {p['line']}, {p['column'] or '-'}: {p['reason']}"
                                              for p in exc.data]
            raise CommandError("\n".join(lines)) from None
        self.stdout.write(result.report["message"])
