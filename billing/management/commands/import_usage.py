from django.core.management.base import BaseCommand, CommandError

from accounts.actors import actor_for_user, system_actor
from accounts.models import Organisation, User
from billing.usage.services import usage_import_file
from core.errors import PartnerCenterError


class Command(BaseCommand):
    help = ("Import daily Azure usage synchronously and print the report: Microsoft's daily rated usage CSV, the "
            "usage export's gzipped JSON lines or a JSON batch (detected). Example: python manage.py import_usage "
            "DailyRatedUsage.csv --organisation 1234567")

    def add_arguments(self, parser):
        parser.add_argument("file", help="The file as Microsoft serves it")
        parser.add_argument("--organisation", default="", help="The PartnerID of the organisation whose usage it is")
        parser.add_argument("--user", default="", help="Import as this user (a Global or Billing admin)")
        parser.add_argument("--source", default="", choices=["", "csv", "jsonl", "batch"],
                            help="The format (default: detected)")

    def _actor(self, organisation, email):
        org = None
        if organisation:
            org = Organisation.objects.filter(partner_id=organisation.strip()).first()
            if org is None:
                raise CommandError(f"No organisation with PartnerID {organisation}.")
        if email:
            user = User.objects.select_related("organisation").filter(email__iexact=email.strip()).first()
            if user is None or not user.is_active:
                raise CommandError(f"No active user with e-mail {email}.")
            if org is not None and user.organisation_id != org.pk:
                raise CommandError(f"{email} is not a user of the organisation {organisation}.")
            return actor_for_user(user, request_id="import_usage")
        if org is None:
            raise CommandError("Name the organisation (--organisation PARTNERID) or the user (--user EMAIL).")
        return system_actor(org, label="operator (manage.py import_usage)")

    def handle(self, *args, file, organisation, user, source, **options):
        actor = self._actor(organisation, user)
        try:
            with open(file, "rb") as stream:
                record = usage_import_file(actor=actor, fileobj=stream, file_name=file.rsplit("/", 1)[-1],
                                           source=source or None)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        except PartnerCenterError as exc:
            total = exc.parameters.get("totalCount", len(exc.data))
            lines = [str(exc.description)] + [f"line {p['line']}, {p['column'] or '-'}: {p['reason']}"
                                              for p in exc.data]
            if total > len(exc.data):
                lines.append(f"... {total - len(exc.data)} more")
            raise CommandError("\n".join(lines)) from None
        report = record.report
        self.stdout.write(report["message"])
        self.stdout.write(f"import {record.public_id} ({record.source}): lines {record.line_count}, added "
                          f"{record.rows_added}, replaced {record.rows_replaced}, unchanged {record.rows_unchanged}, "
                          f"unmatched {record.rows_unmatched}, not rated {record.rows_not_rated}; months "
                          f"{', '.join(report.get('months') or []) or '-'}")
