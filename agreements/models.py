import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from core.tenancy import TenantManager

from .choices import AgreementSource, AgreementType


class ReadableDateTimeField(models.DateTimeField):
    """A timestamptz column that always reads back as a Python datetime, whatever the table holds.

    PostgreSQL stores dates from 4713 BC to 294276 AD; Python's datetime only years 1 to 9999, and psycopg refuses
    to load anything else ("timestamp too small"), which turned one bad row into a 500 on every read of it. The
    SELECT clamps such a value to a day inside Python's range (a day's margin, so converting it to any UTC offset
    still works); WHERE and ORDER BY see the stored value, so `repair_agreement_dates` still finds the row."""

    READABLE_MIN = "0001-01-02T00:00:00+00:00"
    READABLE_MAX = "9999-12-30T00:00:00+00:00"

    def select_format(self, compiler, sql, params):
        sql, params = super().select_format(compiler, sql, params)
        low, high = f"'{self.READABLE_MIN}'::timestamptz", f"'{self.READABLE_MAX}'::timestamptz"
        return (f"CASE WHEN {sql} < {low} THEN {low} WHEN {sql} > {high} THEN {high} ELSE {sql} END",
                (*params, *params, *params))


class AgreementTemplate(models.Model):
    """Agreement metadata (Partner Center's AgreementMetaData): loaded by a data migration."""

    template_id = models.UUIDField(unique=True)
    agreement_type = models.CharField(max_length=40, choices=AgreementType.choices)
    agreement_link = models.URLField()
    version_rank = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["agreement_type", "version_rank"]

    def __str__(self):
        return f"{self.agreement_type} v{self.version_rank}"


class Agreement(models.Model):
    """A confirmation that the customer accepted an agreement: the partner's attestation or the
    customer's own acceptance. Never edited or deleted (a database trigger refuses it); a changed
    contact is a new row, so the history stays."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="agreements")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(AgreementTemplate, on_delete=models.PROTECT, related_name="+")
    agreement_type = models.CharField(max_length=40, choices=AgreementType.choices)
    source = models.CharField(max_length=32, choices=AgreementSource.choices)
    first_name = models.CharField(max_length=50)
    last_name = models.CharField(max_length=50)
    email = models.EmailField()
    phone_number = models.CharField(max_length=30, blank=True)
    date_agreed = ReadableDateTimeField()
    attested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    attested_by_label = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # 600061: the same contact attested twice for the same customer and agreement type.
            models.UniqueConstraint(
                "customer", "agreement_type", "source", Lower("first_name"), Lower("last_name"), Lower("email"),
                "phone_number", name="agreement_same_contact_once",
            ),
        ]

    def __str__(self):
        return _("%(agreement)s for %(customer)s (%(first)s %(last)s)") % {
            "agreement": self.get_agreement_type_display(), "customer": self.customer.company_name,
            "first": self.first_name, "last": self.last_name}

    @classmethod
    def tenant_q(cls, actor):
        if actor.tier == "indirect_reseller":
            return models.Q(customer__reseller_id=actor.organisation_id)
        return models.Q(customer__organisation_id=actor.organisation_id)
