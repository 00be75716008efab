"""Shared by import_price_sheet and import_fx_rates: who the import acts as."""

from django.core.management.base import CommandError

from accounts.actors import actor_for_user
from accounts.choices import Role
from accounts.models import User
from core.actor import Actor


def import_actor(email, command):
    """The named user (a Global admin of a direct-bill partner or an indirect provider), or, without --email, the
    install's operator: every role, no organisation (its audit events carry organisation 0)."""
    if not email:
        return Actor(organisation_id=0, roles=frozenset(Role), label=f"operator (manage.py {command})",
                     request_id=command)
    user = User.objects.select_related("organisation").filter(email__iexact=email.strip()).first()
    if user is None or not user.is_active:
        raise CommandError(f"No active user with e-mail {email}.")
    return actor_for_user(user, request_id=command)
