import importlib
import importlib.util

from django.apps import apps
from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = ("Load the demo organisations and users, then each later app's demo data (its `demo.load_demo`), "
            "in the order of INSTALLED_APPS (the dependency order). Idempotent: existing data is kept.")

    def handle(self, *args, **options):
        result = load_demo()
        organisations = {}
        from accounts.demo import ORGANISATIONS

        for spec, (org, _emails) in zip(ORGANISATIONS, result, strict=True):
            organisations[spec["key"]] = org
        # The apps after accounts, in the order of INSTALLED_APPS (the dependency order); each may ship a
        # `demo.py` with `load_demo(organisations)`.
        names = [config.name for config in apps.get_app_configs()]
        for name in names[names.index("accounts") + 1:]:
            if importlib.util.find_spec(f"{name}.demo") is None:
                continue
            importlib.import_module(f"{name}.demo").load_demo(organisations)
        self.stdout.write(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD})")
        self.stdout.write("Each user enrols an authenticator app (TOTP) at first sign-in.\n")
        for org, emails in result:
            self.stdout.write(f"  {org.name} ({org.get_tier_display()}, {org.country_id}, "
                              f"billed in {org.billing_currency})")
            for email in emails:
                self.stdout.write(f"    {email}")
