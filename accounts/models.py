import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantManager, TenantQuerySet

from .choices import CredentialKind, Role, Tier, UserStatus


class Region(models.Model):
    """A regional market (domain.md §2.1): a partner sells only to customers in its own region."""

    code = models.CharField(max_length=64, primary_key=True)
    name = models.CharField(max_length=100)
    name_fr = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.localized_name

    @property
    def localized_name(self):
        from django.utils.translation import get_language

        return self.name_fr if (get_language() or "").startswith("fr") else self.name


class Country(models.Model):
    code = models.CharField(max_length=2, primary_key=True)  # ISO 3166-1 alpha-2
    name = models.CharField(max_length=100)
    name_fr = models.CharField(max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="countries")
    currency = models.CharField(max_length=3)  # ISO 4217: a partner located here is billed in it

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self):
        return self.localized_name

    @property
    def localized_name(self):
        from django.utils.translation import get_language

        return self.name_fr if (get_language() or "").startswith("fr") else self.name


partner_id_validator = RegexValidator(r"^\d{6,10}$", _("A PartnerID is 6 to 10 digits."))


class Organisation(models.Model):
    """A partner organisation: the tenant every user, token and (later) customer belongs to."""

    tenant_id = models.UUIDField(_("tenant id"), unique=True, default=uuid.uuid4)
    partner_id = models.CharField(_("PartnerID"), max_length=10, unique=True, validators=[partner_id_validator])
    name = models.CharField(_("name"), max_length=200)
    tier = models.CharField(_("tier"), max_length=32, choices=Tier.choices)
    provider = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="resellers",
        verbose_name=_("indirect provider"),
    )
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+", verbose_name=_("country"))
    mpa_signed_at = models.DateField(_("Microsoft Partner Agreement signed"), null=True, blank=True)
    credit_limit = models.DecimalField(_("credit limit"), max_digits=18, decimal_places=2, default=0)
    credit_limit_currency = models.CharField(max_length=3, default="USD", editable=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="organisation_reseller_has_provider",
                condition=(models.Q(tier=Tier.INDIRECT_RESELLER, provider__isnull=False)
                           | (~models.Q(tier=Tier.INDIRECT_RESELLER) & models.Q(provider__isnull=True))),
            ),
            models.CheckConstraint(name="organisation_credit_limit_positive", condition=models.Q(credit_limit__gte=0)),
            models.CheckConstraint(name="organisation_credit_limit_usd", condition=models.Q(credit_limit_currency="USD")),
        ]

    def __str__(self):
        return self.name

    @property
    def billing_currency(self) -> str:
        """Derived from the partner's country (domain.md §2.1), never stored twice."""
        return self.country.currency

    @property
    def market(self) -> Region:
        return self.country.region

    def visible_organisation_ids(self) -> frozenset:
        ids = {self.pk}
        if self.tier == Tier.INDIRECT_PROVIDER:
            ids |= set(self.resellers.values_list("pk", flat=True))
        return frozenset(ids)


class UserManager(BaseUserManager.from_queryset(TenantQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def create_user(self, email, password=None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A partner user: belongs to one organisation and holds any set of roles."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="users")
    email = models.EmailField(_("email"), max_length=254, unique=True)  # stored lower-case
    first_name = models.CharField(_("first name"), max_length=50)
    last_name = models.CharField(_("last name"), max_length=50)
    roles = ArrayField(models.CharField(max_length=32, choices=Role.choices), default=list, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True,
                                help_text=_("Empty: the browser's language."))
    is_active = models.BooleanField(default=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # MFA (TOTP). The secret is set only once enrolment is confirmed with a valid code.
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_last_step = models.BigIntegerField(null=True, blank=True)  # refuses a replayed code
    mfa_enrolled_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = UserManager()
    tenant_field = "organisation"

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]

    def __str__(self):
        return self.get_full_name() or self.email

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name

    @property
    def status(self) -> str:
        if not self.is_active:
            return UserStatus.DEACTIVATED
        if self.activated_at is None:
            return UserStatus.INVITED
        return UserStatus.ACTIVE

    @property
    def mfa_enrolled(self) -> bool:
        return bool(self.totp_secret and self.mfa_enrolled_at)

    def role_labels(self):
        return [Role(r).label for r in Role if r in self.roles]


class RecoveryCode(models.Model):
    """Single-use MFA recovery codes, stored hashed."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=128)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)


class SignInAttempt(models.Model):
    """Password and second-factor attempts, for lockout (per e-mail) and throttling (per client address)
    after repeated failures."""

    class Kind(models.TextChoices):
        PASSWORD = "password"
        SECOND_FACTOR = "second_factor"

    email = models.CharField(max_length=254, db_index=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    succeeded = models.BooleanField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["email", "-created_at"], name="signin_email_time"),
                   models.Index(fields=["ip_address", "-created_at"], name="signin_ip_time")]


class ApiCredential(models.Model):
    """A bearer token. Personal tokens act as their user with that user's current roles (App+User);
    application credentials act for the organisation with the roles chosen at creation (App only).
    Only a SHA-256 hash of the token is stored; the token is shown once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="credentials")
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=8, choices=CredentialKind.choices)
    name = models.CharField(_("name"), max_length=100)
    roles = ArrayField(models.CharField(max_length=32, choices=Role.choices), default=list, blank=True)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()
    tenant_field = "organisation"

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="credential_user_matches_kind",
                condition=(models.Q(kind=CredentialKind.USER, user__isnull=False)
                           | models.Q(kind=CredentialKind.APP, user__isnull=True)),
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"
