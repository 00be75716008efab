"""MFA enrolment and a recovery-code sign-in, against one password check with the configured hasher.

A sign-in already pays one slow password hash (PBKDF2 by default); the second factor should add
little on top of it. Enrolment makes ten recovery codes and a recovery sign-in looks one up: with a
slow hash per code they cost ten password hashes each. The worst case for the look-up is the last
unused code (every other code checked first).
"""

import pyotp
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction

from bench.run import timed

MAX_RATIO = 1.5


def _user(n):
    from accounts.models import Country, Organisation, User

    org, _ = Organisation.objects.get_or_create(partner_id="9900002", defaults={
        "name": "Bench MFA partner", "tier": "direct_bill", "country": Country.objects.get(code="US")})
    return User.objects.create_user(email=f"mfa{n}@bench.example.com", organisation=org, first_name="B",
                                    last_name="M", roles=["sales_agent"], password="bench-password-123")


def run():
    from accounts import mfa

    encoded = make_password("bench-password-123")
    floor = timed(lambda: check_password("bench-password-123", encoded))
    with transaction.atomic():
        users = iter([_user(n) for n in range(4)])  # made first: creating a user hashes its password

    def enrol():
        user = next(users)
        secret = mfa.mfa_new_secret()
        return user, mfa.mfa_enrol(user=user, secret=secret, code=pyotp.TOTP(secret).now())

    enrol_seconds = timed(enrol)
    user, codes = enrol()
    remaining = iter(reversed(codes))  # the last codes are checked last

    def recover():
        assert mfa.mfa_verify(user=user, code=next(remaining)) == "recovery"

    recover_seconds = timed(recover)
    return [
        {"name": "mfa_enrol (10 recovery codes)", "seconds": enrol_seconds, "floor_seconds": floor,
         "floor": "one password check"},
        {"name": "mfa_verify with a recovery code", "seconds": recover_seconds, "floor_seconds": floor,
         "floor": "one password check"},
    ]
