"""Partner earned credit decided per day, and spending budgets (domain.md §2.11, §2.12, §3.5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PecReason(models.TextChoices):
    ROLE_HELD = "role_held", _("A PEC-eligible role was held all day")
    RESELLER_ROLE_HELD = "reseller_role_held", _("The reseller of record held a PEC-eligible role all day")
    NO_ROLE = "no_role", _("No PEC-eligible role held by the partner or its reseller")
    PART_OF_DAY = "part_of_day", _("A PEC-eligible role was held for part of the day only")
    OTHER_PARTNER = "other_partner", _("Only an unrelated partner held access")
    SUBSCRIPTION_INACTIVE = "subscription_inactive", _("The Azure subscription was not active")


class PecDay(models.Model):
    """Whether the billing partner earned PEC on one Azure subscription (or one resource group of it) for one day.

    `resource_group` is '' for the whole subscription. Product exclusions (ThirdParty, reservations, savings plans,
    Spot, Marketplace, legacy) are decided per usage row by rating, not here: this row is about access."""

    organisation_id = models.BigIntegerField()
    # No database foreign key and no index of its own (pec_decide writes a month's 30 rows per subscription in one
    # statement, from the subscriptions it joins; a per-row check cost more than the decision): the unique key below
    # leads with the subscription. Deleting a subscription through the ORM still deletes its days (CASCADE).
    azure_subscription = models.ForeignKey("azureplan.AzureSubscription", on_delete=models.CASCADE,
                                           db_constraint=False, db_index=False, related_name="+")
    resource_group = models.CharField(max_length=90, blank=True)
    day = models.DateField()
    eligible = models.BooleanField()
    percentage = models.DecimalField(max_digits=7, decimal_places=4)  # 15 or 0
    reason = models.CharField(max_length=24, choices=PecReason.choices)
    holder_organisation_id = models.BigIntegerField(null=True, blank=True)  # who held the eligible role
    role = models.CharField(max_length=100, blank=True)
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["azure_subscription_id", "resource_group", "day"]
        constraints = [
            models.UniqueConstraint(fields=["azure_subscription", "resource_group", "day"], name="pecday_unique"),
        ]
        indexes = [models.Index(fields=["organisation_id", "day"], name="pecday_org_day")]


class SpendingBudget(models.Model):
    """A customer's monthly spending budget (domain.md §2.11): informational, in the partner's billing currency;
    `amount` NULL means no budget. Alerts: at 80 % or more, at most every 7 days, none once past 100 %."""

    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, related_name="spending_budget")
    organisation_id = models.BigIntegerField(db_index=True)
    amount = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3)
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                                   name="spendingbudget_amount_not_negative"),
        ]


class BudgetAlert(models.Model):
    """One budget e-mail sent (or decided against), so the 7-day rule and the 100 % stop are enforced from data."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    organisation_id = models.BigIntegerField()
    month = models.DateField()
    sent_at = models.DateTimeField()
    spend = models.DecimalField(max_digits=20, decimal_places=2)
    budget = models.DecimalField(max_digits=20, decimal_places=2)
    currency = models.CharField(max_length=3)
    percent = models.DecimalField(max_digits=9, decimal_places=2)
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["customer", "-sent_at"], name="budgetalert_recent")]
