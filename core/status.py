"""One status machine for every lifecycle: `status_move` moves a row from its status to another by its model's
transition table, under the row lock, and refuses a move the table does not allow.

The convention: a model with a lifecycle declares `STATUS_TRANSITIONS`, a dict `{status: {statuses it may move
to}}` written next to its `TextChoices` (the app's choices.py; `JOB_TRANSITIONS` in core.models), with every
status as a key (a final status maps to an empty set). docs/architecture.md ("Status machines") lists them.

- A move to the status the row already has is a move only when the table lists it (a running Job reports progress:
  `running -> running`); otherwise it is a no-op: nothing is written, nothing is refused, the row is returned with
  its status as read under the lock. A task that runs twice thus asks for the same move twice harmlessly; a
  service that must refuse a repeat (withdrawing an invitation twice) checks the status itself first, with its own
  Partner Center code.
- The current status is read again under the row lock, so a caller holding a stale row cannot make a move the
  table forbids from the status the row really has; only `status` is read again, the caller's other unsaved
  changes are kept and saved when named in `fields`.
- Set-based updates (`QuerySet.update(status=...)`) stay set-based for speed but filter on
  `status__in=allowed_from(Model, to)`, so they cannot make a forbidden move either.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from .errors import StatusMoveRefused


def transitions(model, table=None) -> dict:
    """The transition table of a model (class or instance), or `table` when given."""
    if table is not None:
        return table
    model = model if isinstance(model, type) else type(model)
    try:
        return model.STATUS_TRANSITIONS
    except AttributeError:
        raise TypeError(f"{model.__name__} declares no STATUS_TRANSITIONS table.") from None


def is_allowed(model, current, to, *, table=None) -> bool:
    """Whether the table allows `current -> to` (a same-status move only when listed)."""
    return to in transitions(model, table).get(current, ())


def allowed_from(model, to, *, table=None) -> set:
    """Every status from which the table allows a move to `to`: the filter of a set-based update."""
    return {str(current) for current, targets in transitions(model, table).items() if to in targets}


def _label(model, value):
    return str(dict(model._meta.get_field("status").choices or ()).get(value, value))


def refusal(model, current, to, *, error=None, obj=None) -> Exception:
    """The error for a forbidden move: `error(current, to)` when the caller passes one (a Partner Center code of its
    own), else StatusMoveRefused naming the model, from and to."""
    model = model if isinstance(model, type) else type(model)
    if error is not None:
        return error(current, to)
    parameters = {"object": model._meta.label, "from": str(current), "to": str(to)}
    name = model._meta.verbose_name.capitalize()
    if obj is not None:
        parameters["id"] = str(getattr(obj, "public_id", None) or obj.pk)
        name = f"{name} {parameters['id']}"
    return StatusMoveRefused(
        _("%(name)s cannot move from %(from_label)s (%(from)s) to %(to_label)s (%(to)s).") % {
            "name": name, "from_label": _label(model, current), "from": current, "to_label": _label(model, to),
            "to": to},
        field="status", parameters=parameters)


def check_move(model, current, to, *, table=None, error=None):
    """Raise the refusal when the table forbids `current -> to` (a same-status move is never refused). For rows the
    caller already locked and writes in bulk (`bulk_update`)."""
    if current != to and not is_allowed(model, current, to, table=table):
        raise refusal(model, current, to, error=error)


def status_move(obj, to, *, table=None, fields=(), error=None, locked=False):
    """Move `obj` to status `to`: lock its row (`SELECT ... FOR UPDATE`, harmless when the caller holds it), read
    its status again, check the move against the table, save `status` and the `fields` the caller set (timestamps,
    version, ...) and return `obj` updated. A same-status move the table does not list writes nothing (see the
    module). A forbidden move raises `error(current, to)` when given, else StatusMoveRefused (409/990005), and
    changes nothing.

    `locked=True`: the caller read `obj` (its status included) with `SELECT ... FOR UPDATE` in the transaction
    it is still in, so the status it holds is the row's: the move is checked from it and saved in one UPDATE,
    without reading the row again."""
    model = type(obj)
    table = transitions(model, table)
    if locked:
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("status_move(locked=True) needs the transaction that locked the row.")
        current = obj.status
        if current == to and not is_allowed(model, current, to, table=table):
            return obj
        if not is_allowed(model, current, to, table=table):
            raise refusal(model, current, to, error=error, obj=obj)
        obj.status = to
        obj.save(update_fields=["status", *[name for name in fields if name != "status"]])
        return obj
    with transaction.atomic():
        current = model._base_manager.select_for_update().filter(pk=obj.pk).values_list("status", flat=True).get()
        if current == to and not is_allowed(model, current, to, table=table):
            obj.status = current
            return obj
        if not is_allowed(model, current, to, table=table):
            raise refusal(model, current, to, error=error, obj=obj)
        obj.status = to
        update = ["status", *[name for name in fields if name != "status"]]
        obj.save(update_fields=update)
    return obj
