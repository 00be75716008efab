"""Writing audit events. Every service that changes state calls `audit_record` inside its transaction."""

from .models import AuditEvent


def public_id_of(obj) -> str:
    """The id a row is known by outside: its public_id, else its tenant_id (customers), else its pk."""
    return str(getattr(obj, "public_id", None) or getattr(obj, "tenant_id", None) or obj.pk)


def audit_record(*, actor, action, obj=None, object_type="", object_id="", object_repr="",
                 organisation_id=None, subject=None, data=None, ip_address=None) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or public_id_of(obj)
        object_repr = object_repr or str(obj)[:255]
    subject_type = subject_id = ""
    organisation_id = organisation_id if organisation_id is not None else actor.organisation_id
    owner_organisation_id = None
    if subject is not None:
        subject_type = subject._meta.label
        subject_id = public_id_of(subject)
        # A subject owned by another organisation (a provider's customer an indirect reseller acts on): the event
        # shows in the owner's audit log too.
        owner = getattr(subject, "organisation_id", None)
        owner_organisation_id = owner if owner is not None and owner != organisation_id else None
    return AuditEvent.objects.create(
        organisation_id=organisation_id,
        owner_organisation_id=owner_organisation_id,
        actor_user_id=actor.user_id,
        actor_credential_id=actor.credential_id,
        actor_label=actor.label[:255],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        subject_type=subject_type,
        subject_id=subject_id,
        data=data or {},
        request_id=actor.request_id,
        ip_address=ip_address,
    )
