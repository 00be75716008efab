from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.choices import Role, Tier
from accounts.models import Country, Organisation, User
from accounts.tasks import invitation_url


class Command(BaseCommand):
    help = ("First set-up: create a partner organisation and its first Global admin, and print the admin's "
            "sign-up link (the admin chooses a password, then enrols MFA). Example: python manage.py "
            "create_partner --name 'Contoso CSP' --partner-id 1234567 --tier direct_bill --country FR "
            "--admin-email admin@contoso.example.com --admin-first-name Ada --admin-last-name Admin")

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--partner-id", required=True, help="PartnerID (ex-MPN ID), 6-10 digits")
        parser.add_argument("--tier", required=True, choices=Tier.values)
        parser.add_argument("--country", required=True, help="ISO 3166-1 alpha-2 code of the partner's location")
        parser.add_argument("--provider-partner-id", help="For an indirect reseller: its indirect provider's PartnerID")
        parser.add_argument("--tenant-id", help="Entra tenant id (GUID); a new one when omitted")
        parser.add_argument("--mpa-signed", help="Date the Microsoft Partner Agreement was signed (YYYY-MM-DD)")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-first-name", required=True)
        parser.add_argument("--admin-last-name", required=True)

    def handle(self, *args, **o):
        from django.core.exceptions import ValidationError
        from django.utils.dateparse import parse_date

        country = Country.objects.filter(code=o["country"].upper()).first()
        if country is None:
            raise CommandError(f"Unknown country code {o['country']} (ISO 3166-1 alpha-2, e.g. FR).")
        provider = None
        if o["tier"] == Tier.INDIRECT_RESELLER:
            provider = Organisation.objects.filter(partner_id=o["provider_partner_id"] or "",
                                                   tier=Tier.INDIRECT_PROVIDER).first()
            if provider is None:
                raise CommandError("An indirect reseller needs --provider-partner-id of an existing indirect provider.")
        elif o["provider_partner_id"]:
            raise CommandError("Only an indirect reseller has a provider.")
        mpa = parse_date(o["mpa_signed"]) if o["mpa_signed"] else None
        if o["mpa_signed"] and mpa is None:
            raise CommandError("--mpa-signed must be a date like 2024-01-31.")
        email = o["admin_email"].strip().lower()
        if User.objects.filter(email=email).exists():
            raise CommandError(f"A user with e-mail {email} already exists.")
        organisation = Organisation(name=o["name"], partner_id=o["partner_id"], tier=o["tier"], country=country,
                                    provider=provider, mpa_signed_at=mpa)
        if o["tenant_id"]:
            organisation.tenant_id = o["tenant_id"]
        try:
            organisation.full_clean()
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        with transaction.atomic():
            organisation.save()
            admin = User.objects.create_user(
                email=email, organisation=organisation, first_name=o["admin_first_name"],
                last_name=o["admin_last_name"], roles=[Role.GLOBAL_ADMIN.value], invited_at=timezone.now(),
            )
            from accounts.actors import system_actor
            from core.audit import audit_record

            audit_record(actor=system_actor(organisation, label="create_partner"), action="organisation.created",
                         obj=organisation, data={"admin": email})
        self.stdout.write(f"Created {organisation.name} ({organisation.get_tier_display()}, {country.code}, "
                          f"billed in {organisation.billing_currency}).")
        self.stdout.write(f"Global admin {admin.email}: open this link to choose a password, then set up MFA:")
        self.stdout.write(invitation_url(admin))
