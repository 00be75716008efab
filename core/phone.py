"""The one rule for a phone number typed by a person (a customer's billing contact, an agreement's primary contact):
digits, an optional + in front, and spaces, dashes, dots, slashes and parentheses between them, with at least six
digits. "call me maybe" and "((( )))" are not phone numbers."""

import re

from django.utils.translation import gettext_lazy as _

_SHAPE = re.compile(r"\+?[0-9 ().\-/]+", re.ASCII)
MIN_DIGITS = 6
MESSAGE = _("The phone number may contain digits, spaces and + ( ) . / - only, with at least 6 digits.")


def phone_number_valid(value):
    """True for a phone number as above; the caller decides whether an empty one is allowed and its length."""
    return bool(_SHAPE.fullmatch(value)) and sum(c.isdigit() for c in value) >= MIN_DIGITS
