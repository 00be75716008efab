from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the demo organisations and users (idempotent: existing data is kept)."

    def handle(self, *args, **options):
        result = load_demo()
        self.stdout.write(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD})")
        self.stdout.write("Each user enrols an authenticator app (TOTP) at first sign-in.\n")
        for org, emails in result:
            self.stdout.write(f"  {org.name} ({org.get_tier_display()}, {org.country_id}, "
                              f"billed in {org.billing_currency})")
            for email in emails:
                self.stdout.write(f"    {email}")
