from django.db import models
from django.utils.translation import gettext_lazy as _


class RelationshipToPartner(models.TextChoices):
    NONE = "none", _("None")
    RESELLER = "reseller", _("Reseller")


class RelationshipRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")


# An invitation is used once: accepted or withdrawn, never again (its expiry is computed, not a status).
RELATIONSHIP_REQUEST_TRANSITIONS = {
    RelationshipRequestStatus.PENDING: {RelationshipRequestStatus.ACCEPTED, RelationshipRequestStatus.REVOKED},
    RelationshipRequestStatus.ACCEPTED: set(),
    RelationshipRequestStatus.REVOKED: set(),
}


# Countries where the organisation registration number (company tax id) and a phone number are
# mandatory for a new customer (domain.md §2.2, Partner Center codes 600049 and 600051).
REGISTRATION_REQUIRED_COUNTRIES = frozenset({
    "AM", "AZ", "BY", "BR", "HU", "IN", "IQ", "KZ", "KG", "MD", "MM", "PL", "RU", "SA", "ZA", "SS", "TJ", "TH",
    "TR", "UA", "AE", "UZ", "VE", "VN",
})
