"""What later apps add to the customer pages and how they react to customer events, registered in their
`AppConfig.ready()` (django-oscar's dashboard menus work this way). customers never imports a later app: the
agreements card, the Azure plan sections, their activity lines and the MCA column of the list come from here.

- sections of the customer page: a template and a context function, in `order`, shown when `visible` says so;
- columns of the customer list: a header, a cell template and one query for the whole page;
- activity describers: an audit action prefix and a function giving the translated line (or None to hide it);
- context for the public invitation page;
- hooks run when a customer accepts a reseller relationship invitation (inside its transaction);
- counters of active subscriptions, which refuse the removal of the relationship and say what they counted.

Registering the same key twice replaces the first entry, so a second `ready()` (tests, reloads) adds nothing.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.audit import object_display
from core.audit_actions import action_label


def _always(request, data):
    return True


@dataclass(frozen=True)
class CustomerSection:
    """A card of the customer page. `context(request, customer, overrides)` gives the section's data, stored in
    the page context under `key` (its template reads it there); `overrides` is what a failed POST of the owning
    app hands back (bound forms, a refusal). `visible(request, data)` hides the section; `badge_template`, when
    set, is rendered in the page header with the same data."""

    key: str
    template: str
    context: Callable[..., dict]
    order: int = 100
    anchor: str = ""
    visible: Callable[[Any, dict], bool] = _always
    badge_template: str = ""


@dataclass(frozen=True)
class CustomerColumn:
    """A column of the customer list, placed before "Added". `values(actor, customers)` answers, in one query,
    {customer pk: value} for the customers of the page; the cell template gets `value` and `customer`."""

    key: str
    header: str
    template: str
    values: Callable[[Any, list], dict]
    order: int = 100


@dataclass(frozen=True)
class ActiveItems:
    """What a counter of active subscriptions found: how many, and said in words by the app that knows them
    ("an active Azure plan", "2 active Azure subscriptions"), so a refusal names what the customer page shows."""

    count: int
    text: str


@dataclass(frozen=True)
class ActivityLine:
    label: str
    detail: str = ""


_sections: dict[str, CustomerSection] = {}
_columns: dict[str, CustomerColumn] = {}
_describers: dict[str, Callable] = {}
_invitation_context: dict[str, Callable] = {}
_shared_with_reseller: set[str] = set()


def share_activity_with_reseller(prefix: str):
    """Events of `prefix` (e.g. "order.") the selling partner records on a customer are shown to the customer's
    indirect reseller of record too: its customer's orders and subscriptions, by partner name, not by staff."""
    _shared_with_reseller.add(prefix)


def shared_with_reseller() -> tuple:
    return tuple(sorted(_shared_with_reseller))
_invitation_accepted: dict[str, Callable] = {}

# Functions `counter(customer) -> [ActiveItems]` of what is still active (each later app adds its own); removing
# the reseller relationship is refused while any counts more than zero. customers.services re-exports this list.
ACTIVE_SUBSCRIPTION_COUNTERS: list[Callable] = []


def register_section(section: CustomerSection):
    _sections[section.key] = section


def sections():
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def register_column(column: CustomerColumn):
    _columns[column.key] = column


def columns():
    return sorted(_columns.values(), key=lambda c: (c.order, c.key))


def register_activity(prefix: str, describe: Callable):
    """`describe(event)` -> ActivityLine, or None to leave the event out (another line already says it). The
    longest matching prefix wins, so an app may describe "customer." and another "customer.special"."""
    _describers[prefix] = describe


def describe_activity(event):
    """The activity line of an audit event; an action no app describes shows by its audit log label."""
    matches = [prefix for prefix in _describers if event.action.startswith(prefix)]
    if not matches:
        return ActivityLine(label=action_label(event.action))
    return _describers[max(matches, key=len)](event)


def register_invitation_context(key: str, provider: Callable):
    """`provider(row)` -> dict added to the context of the public invitation page (row: the RelationshipRequest)."""
    _invitation_context[key] = provider


def invitation_context(row):
    context = {}
    for provider in _invitation_context.values():
        context.update(provider(row))
    return context


def register_invitation_accepted(key: str, hook: Callable):
    """`hook(*, actor, customer, request_row, contact, accept_mca)`: runs inside the acceptance's transaction, after
    the customer and its relationship are saved; an exception rolls the acceptance back."""
    _invitation_accepted[key] = hook


def invitation_accepted(**kwargs):
    for hook in _invitation_accepted.values():
        hook(**kwargs)


def register_active_subscription_counter(counter: Callable):
    if counter not in ACTIVE_SUBSCRIPTION_COUNTERS:
        ACTIVE_SUBSCRIPTION_COUNTERS.append(counter)


_STATUS_SUFFIX = re.compile(r" \([^()]*\)$")  # "Dev (active)" -> "Dev": the status of that moment misleads


def object_name(event):
    """The name of the event's object as it was recorded, without the status it had then."""
    return _STATUS_SUFFIX.sub("", object_display(event, with_status=False))


def change(data, key="changes", field=None):
    """"old → new" of a recorded change: `data["changes"][field]` when there, else `data["from"]`/`data["to"]`."""
    pair = (data.get(key, {}).get(field) if field else None) or [data.get("from"), data.get("to")]
    old, new = pair
    return f"{old or '—'} → {new or '—'}"


def labelled(labels, *, hidden=(), detail=None):
    """A describer from a table {action: translated label}: `hidden` actions are left out, `detail(event, data)`
    gives the details column. An action missing from the table shows by its audit log label (or as itself)."""

    def describe(event):
        if event.action in hidden:
            return None
        return ActivityLine(label=labels.get(event.action) or action_label(event.action),
                            detail=(detail(event, event.data or {}) if detail else "") or "")

    return describe
