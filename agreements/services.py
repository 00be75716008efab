"""MCA confirmations: the partner's attestation, the customer's own acceptance, and the purchase gate."""

from datetime import UTC, datetime, time

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.choices import Tier
from accounts.permissions import Perm, require
from core.audit import audit_record
from core.errors import InvalidInput, PermissionDenied
from core.phone import MESSAGE as PHONE_MESSAGE
from core.phone import phone_number_valid
from customers.services import require_relationship

from .choices import AgreementSource, AgreementType
from .errors import AgreementAlreadyExists, DateAgreedInvalid, McaMissing
from .models import Agreement, AgreementTemplate

# The earliest dateAgreed each agreement type accepts (docs/api.md, "dateAgreed bounds"). Microsoft's own Partner
# Center examples attest a Microsoft Customer Agreement on 2018-06-14 (create) and 2019-08-26 (list), before the
# agreement reached CSP production on 2019-10-01 (domain.md §2.4), so the floor is the start of 2018, before any date
# Microsoft's documentation uses. The Microsoft Cloud Agreement is the CSP program's agreement since 2014.
EARLIEST_DATE_AGREED = {
    AgreementType.MICROSOFT_CUSTOMER_AGREEMENT: datetime(2018, 1, 1, tzinfo=UTC),
    AgreementType.MICROSOFT_CLOUD_AGREEMENT: datetime(2014, 1, 1, tzinfo=UTC),
}


def _parse_date_agreed(value):
    if isinstance(value, datetime):
        return value
    if hasattr(value, "year") and not isinstance(value, str):
        return datetime.combine(value, time.min)
    from django.utils.dateparse import parse_date, parse_datetime

    text = (value or "").strip() if isinstance(value, str) else ""
    try:
        parsed = parse_datetime(text) if text else None
        if parsed is None and text:
            day = parse_date(text)
            parsed = datetime.combine(day, time.min) if day else None
    except ValueError:  # a well-formed but impossible date, e.g. 2024-02-30
        parsed = None
    if parsed is None:
        raise DateAgreedInvalid(_("dateAgreed must be a date such as 2024-06-14 (UTC)."),
                                for_person=_("Enter the date as a day, month and year."))
    return parsed


def date_agreed_check(value, *, agreement_type=AgreementType.MICROSOFT_CUSTOMER_AGREEMENT):
    """dateAgreed as an aware UTC datetime, or DateAgreedInvalid: a date alone is midnight UTC, an offset is
    converted to UTC, and the result lies between the agreement's first day and now. The API and the portal page
    both go through here."""
    parsed = _parse_date_agreed(value)
    earliest = EARLIEST_DATE_AGREED.get(agreement_type, EARLIEST_DATE_AGREED[AgreementType.MICROSOFT_CUSTOMER_AGREEMENT])
    kind = AgreementType(agreement_type).label if agreement_type in AgreementType.values else agreement_type
    too_early = DateAgreedInvalid(
        _("dateAgreed must not be before %(earliest)s (UTC): the %(kind)s did not exist earlier.") % {
            "earliest": earliest.date().isoformat(), "kind": kind},
        for_person=_("The %(kind)s did not exist before %(earliest)s: enter the day the customer accepted it.") % {
            "kind": kind, "earliest": formats.date_format(earliest.date(), "DATE_FORMAT")})
    try:
        parsed = parsed.replace(tzinfo=UTC) if timezone.is_naive(parsed) else parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # e.g. 0001-01-01T00:00:00+14:00 is 31 December of 1 BC in UTC
        if parsed.year < earliest.year:
            raise too_early from None
        parsed = datetime.max.replace(tzinfo=UTC)  # after 9999-12-31 in UTC: refused as in the future below
    if parsed < earliest:
        raise too_early
    if parsed > timezone.now():
        raise DateAgreedInvalid(
            _("dateAgreed cannot be in the future: enter the day the customer accepted."),
            for_person=_("The date the customer accepted cannot be later than today (%(today)s, UTC).") % {
                "today": formats.date_format(timezone.now().date(), "DATE_FORMAT")})
    return parsed


def _contact(first_name, last_name, email, phone_number):
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    email, phone_number = (email or "").strip(), (phone_number or "").strip()
    if not first_name or len(first_name) > 50:
        raise InvalidInput(_("primaryContact.firstName is required (at most 50 characters)."),
                           field="primaryContact.firstName")
    if not last_name or len(last_name) > 50:
        raise InvalidInput(_("primaryContact.lastName is required (at most 50 characters)."),
                           field="primaryContact.lastName")
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise InvalidInput(_("primaryContact.email must be a valid e-mail address."),
                           field="primaryContact.email") from None
    if len(phone_number) > 30:
        raise InvalidInput(_("primaryContact.phoneNumber is at most 30 characters."),
                           field="primaryContact.phoneNumber")
    if phone_number and not phone_number_valid(phone_number):
        raise InvalidInput(str(PHONE_MESSAGE), field="primaryContact.phoneNumber")
    return first_name, last_name, email, phone_number


def agreement_attest(*, actor, customer, first_name, last_name, email, phone_number="", date_agreed,
                     template_id, agreement_type=AgreementType.MICROSOFT_CUSTOMER_AGREEMENT) -> Agreement:
    """The partner confirms the customer accepted the agreement (direct-bill partners and indirect
    providers, App+User only). The same contact twice is refused with 600061; a changed contact is a
    new confirmation and the earlier ones stay."""
    if actor.tier == Tier.INDIRECT_RESELLER:
        raise PermissionDenied(
            _("Indirect resellers cannot confirm the Microsoft Customer Agreement: your indirect provider confirms "
              "it for the customer, or the customer accepts it when accepting the reseller relationship invitation."),
            parameters={"permission": str(Perm.ATTEST_MCA)})
    require(actor, Perm.ATTEST_MCA)
    require_relationship(customer)
    if agreement_type not in AgreementType.values:
        raise InvalidInput(_("type must be MicrosoftCustomerAgreement."), field="type")
    first_name, last_name, email, phone_number = _contact(first_name, last_name, email, phone_number)
    agreed = date_agreed_check(date_agreed, agreement_type=agreement_type)
    try:
        template = AgreementTemplate.objects.get(template_id=str(template_id or "").strip(),
                                                 agreement_type=agreement_type)
    except (AgreementTemplate.DoesNotExist, ValidationError, ValueError):
        raise InvalidInput(_("templateId %(id)s is not a %(type)s template. Read GET /v1/agreements?agreementType="
                             "%(type)s for the current one.") % {"id": template_id, "type": agreement_type},
                           field="templateId") from None
    try:
        with transaction.atomic():
            agreement = Agreement.objects.create(
                customer=customer, organisation_id=actor.organisation_id, template=template,
                agreement_type=agreement_type, source=AgreementSource.PARTNER_ATTESTATION, first_name=first_name,
                last_name=last_name, email=email, phone_number=phone_number, date_agreed=agreed,
                attested_by_id=actor.user_id, attested_by_label=actor.label[:255],
            )
            audit_record(actor=actor, action="agreement.attested", obj=agreement, subject=customer,
                         data={"type": agreement_type, "contact": email, "date_agreed": agreed.isoformat()})
            from .tasks import send_attestation_notice

            send_attestation_notice.delay_on_commit(agreement.pk)
    except IntegrityError:
        raise AgreementAlreadyExists(_("A partner confirmed agreement already exists for the customer.")) from None
    return agreement


def agreement_record_customer_acceptance(*, customer, first_name, last_name, email, phone_number="", actor):
    """The customer accepted the MCA itself (on the invitation page): the direct way of domain.md §2.4."""
    from .selectors import mca_template_current

    template = mca_template_current()
    first_name, last_name, email, phone_number = _contact(first_name, last_name, email, phone_number)
    same = Agreement.objects.filter(
        customer=customer, agreement_type=template.agreement_type, source=AgreementSource.CUSTOMER_ACCEPTANCE,
        first_name__iexact=first_name, last_name__iexact=last_name, email__iexact=email, phone_number=phone_number)
    existing = same.first()
    if existing is not None:
        return existing  # the same person accepted before: nothing new to record
    try:
        with transaction.atomic():
            agreement = Agreement.objects.create(
                customer=customer, agreement_type=template.agreement_type, source=AgreementSource.CUSTOMER_ACCEPTANCE,
                first_name=first_name, last_name=last_name, email=email, phone_number=phone_number,
                organisation_id=customer.organisation_id, template=template, date_agreed=timezone.now(),
                attested_by_label=actor.label[:255])
            audit_record(actor=actor, action="agreement.accepted_by_customer", obj=agreement, subject=customer,
                         organisation_id=customer.organisation_id)
    except IntegrityError:
        return same.get()
    return agreement


def mca_confirmed(customer) -> bool:
    return Agreement.objects.filter(customer=customer,
                                    agreement_type=AgreementType.MICROSOFT_CUSTOMER_AGREEMENT).exists()


def direct_signed(customer) -> bool:
    return Agreement.objects.filter(customer=customer, agreement_type=AgreementType.MICROSOFT_CUSTOMER_AGREEMENT,
                                    source=AgreementSource.CUSTOMER_ACCEPTANCE).exists()


def purchase_gate(*, customer):
    """Called before any order: no purchase without the reseller relationship (20002) and a confirmed
    Microsoft Customer Agreement (13605)."""
    require_relationship(customer)
    if not mca_confirmed(customer):
        raise McaMissing(
            _("%(customer)s has not accepted the Microsoft Customer Agreement. Attest it on the customer's page "
              "(Agreements), or ask the customer to accept it, then place the order again.")
            % {"customer": customer.company_name},
            parameters={"customerId": str(customer.tenant_id)})


REPAIR_LABEL = "manage.py repair_agreement_dates"


def _out_of_bounds():
    from django.db.models import F, Q

    floors = Q()
    for kind, earliest in EARLIEST_DATE_AGREED.items():
        floors |= Q(agreement_type=kind, date_agreed__lt=earliest)
    floors |= ~Q(agreement_type__in=list(EARLIEST_DATE_AGREED)) & Q(
        date_agreed__lt=EARLIEST_DATE_AGREED[AgreementType.MICROSOFT_CUSTOMER_AGREEMENT])
    return floors | Q(date_agreed__gt=F("created_at"))  # agreed after it was recorded: in the future back then


def agreement_dates_repair(*, dry_run=False) -> list[dict]:
    """Correct the dateAgreed of confirmations stored outside the bounds (before the agreement existed, or after the
    row was written, e.g. year 0 by the bug of issue 10 item 25) to the moment the row was recorded: the latest the
    customer can have accepted, so the confirmation keeps opening the purchase gate and the history keeps its row.
    Each correction is one transaction with an audit event `agreement.date_repaired` naming the command and the
    stored value. `dry_run` lists what would change and writes nothing. Safe to run again: a corrected row is
    within the bounds."""
    from django.db import connection
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from accounts.actors import system_actor

    found = (Agreement.objects.filter(_out_of_bounds()).annotate(stored=Cast("date_agreed", TextField()))
             .select_related("customer", "organisation").order_by("pk"))
    changes = []
    for row in found:
        earliest = EARLIEST_DATE_AGREED.get(row.agreement_type,
                                            EARLIEST_DATE_AGREED[AgreementType.MICROSOFT_CUSTOMER_AGREEMENT])
        corrected = max(row.created_at, earliest)
        reason = ("after it was recorded" if row.date_agreed > row.created_at
                  else f"before {earliest.date().isoformat()}")
        change = {"agreement": row, "stored": row.stored, "corrected": corrected, "reason": reason}
        changes.append(change)
        if dry_run:
            continue
        with transaction.atomic():
            with connection.cursor() as cursor:  # the append-only trigger lets this one correction through
                cursor.execute("SELECT set_config('agreements.repair_dates', 'on', true)")
            updated = Agreement.objects.filter(_out_of_bounds(), pk=row.pk).update(date_agreed=corrected)
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('agreements.repair_dates', 'off', true)")
            if not updated:  # corrected meanwhile by another run
                changes.pop()
                continue
            audit_record(actor=system_actor(row.organisation, label=REPAIR_LABEL), action="agreement.date_repaired",
                         obj=row, subject=row.customer,
                         data={"command": "repair_agreement_dates", "stored": row.stored, "reason": reason,
                               "date_agreed": corrected.isoformat()})
    return changes
