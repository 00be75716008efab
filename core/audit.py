"""Writing audit events. Every service that changes state calls `audit_record` inside its transaction."""

import re

from .actor import current_request_id
from .models import AuditEvent

# How pages name an event's object in the reader's language: object_repr is English text frozen when the event
# was recorded ("Order 1234 (provisioning)"). Apps register their models (AppConfig.ready()).
_OBJECT_NAMES = {}
_REPR = re.compile(r"^(?P<head>.*?)(?: \((?P<status>[^()]*)\))?$", re.S)


_ACTOR_LABELS = {}


def register_actor_label(label, text):
    """A background actor's label (system_actor(label=...)) shown as `text` (translatable) in the reader's language."""
    _ACTOR_LABELS[label] = text


def actor_display(event):
    """Who did it: a person's or credential's recorded name, a background actor's label translated."""
    if (getattr(event, "actor_user_id", None) is None and getattr(event, "actor_credential_id", None) is None
            and event.actor_label in _ACTOR_LABELS):
        return str(_ACTOR_LABELS[event.actor_label])
    return event.actor_label


def register_object_name(model_label, *, name=None, statuses=None, display=None):
    """`name`: a translatable format with %(id)s for "<Kind> <id>" reprs (None: the repr's head is a name, kept);
    `statuses`: the TextChoices of the recorded status, shown by its translated label; `display(event)`: the name
    written from the event itself (its data), for objects whose repr names them by an id nobody recognises (a
    billing run by its month); None falls back to the repr."""
    _OBJECT_NAMES[model_label] = (name, statuses, display)


def object_display(event, *, with_status=True):
    """The event's object in the active language (registered models), else its repr as recorded."""
    entry = _OBJECT_NAMES.get(getattr(event, "object_type", ""))
    text = event.object_repr or ""
    if entry is None:
        return text
    name, statuses, display = entry
    if display is not None and (shown := display(event)):
        return str(shown)
    match = _REPR.match(text)
    head, status = match.group("head"), match.group("status")
    if name is not None:
        head = str(name) % {"id": head.rsplit(" ", 1)[-1]}
    if not (with_status and status):
        return head
    label = next((c.label for c in statuses or () if status.lower() in (c.value.lower(), c.name.lower())), status)
    return f"{head} ({label})"


def for_display(events):
    """`events` with what a page shows of each, in the reader's language: `action_label`, `object_display` and
    `actor_display` (not the code and the English recorded at the time)."""
    from .audit_actions import action_label

    events = list(events)
    for event in events:
        event.action_label = action_label(event.action)
        event.object_display, event.actor_display = object_display(event), actor_display(event)
    return events


_SUBJECT_SEARCHES = {}


def register_subject_search(model_label, ids_named):
    """The audit log's filter by customer (Partner Center's CompanyName and CustomerId): `ids_named(actor, text)`
    gives the ids (as audit_record stores them) of the `model_label` rows the actor sees whose name contains `text`.
    Registered by the app that owns the model (customers/registrations.py)."""
    _SUBJECT_SEARCHES[model_label] = ids_named


def subject_q(actor, text):
    """Events about a registered subject (a customer) whose id is `text` or whose name contains it."""
    from django.db.models import Q

    condition = Q(pk__in=[])
    for label, ids_named in _SUBJECT_SEARCHES.items():
        condition |= Q(subject_type=label) & (Q(subject_id=text) | Q(subject_id__in=ids_named(actor, text)))
    return condition


def public_id_of(obj) -> str:
    """The id a row is known by outside: its public_id, else its tenant_id (customers), else its pk."""
    return str(getattr(obj, "public_id", None) or getattr(obj, "tenant_id", None) or obj.pk)


def audit_record(*, actor, action, obj=None, object_type="", object_id="", object_repr="",
                 organisation_id=None, subject=None, data=None, ip_address=None) -> AuditEvent:
    event = audit_event(actor=actor, action=action, obj=obj, object_type=object_type, object_id=object_id,
                        object_repr=object_repr, organisation_id=organisation_id, subject=subject, data=data,
                        ip_address=ip_address)
    event.save(force_insert=True)
    return event


def audit_record_many(events) -> list[AuditEvent]:
    """Write events built by `audit_event` in one INSERT (a service that records several changes of one
    transaction, as a checkout does: the plan ordered, the order created, the cart checked out)."""
    return AuditEvent.objects.bulk_create(list(events))


def audit_event(*, actor, action, obj=None, object_type="", object_id="", object_repr="",
                organisation_id=None, subject=None, data=None, ip_address=None) -> AuditEvent:
    """The event `audit_record` writes, not saved yet (see audit_record_many)."""
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
    return AuditEvent(
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
        # The request's id also when the actor was made without it (sign-in, MFA, an invitation accepted).
        request_id=actor.request_id or current_request_id(),
        ip_address=ip_address,
    )
