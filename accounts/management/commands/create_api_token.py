from django.core.management.base import BaseCommand, CommandError

from accounts.actors import actor_for_user
from accounts.models import User
from accounts.services import credential_create
from core.errors import PartnerCenterError


class Command(BaseCommand):
    help = ("Create a personal API token (App+User) for a user and print only the token. "
            "Example: python manage.py create_api_token --email admin@example.com --days 30")

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The user the token acts as")
        parser.add_argument("--days", type=int, default=None,
                            help="Days until it expires (default: the API_TOKEN_DEFAULT_DAYS setting)")
        parser.add_argument("--name", default="Created from the shell", help="What uses the token")

    def handle(self, *args, email, days, name, **options):
        user = User.objects.select_related("organisation").filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with e-mail {email}.")
        if not user.is_active:
            raise CommandError(f"{email} is deactivated.")
        if user.activated_at is None:
            raise CommandError(f"{email} has not accepted the invitation yet.")
        actor = actor_for_user(user, request_id="create_api_token")
        try:
            _credential, raw = credential_create(actor=actor, name=name, days=days)
        except PartnerCenterError as exc:
            raise CommandError(str(exc.description)) from None
        self.stdout.write(raw)
