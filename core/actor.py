"""Who is acting: a signed-in user, a user's personal token (App+User) or an application credential (App only).

Services and selectors take an Actor, never a request: the same rules hold for pages, the API,
management commands and Celery tasks.
"""

from contextvars import ContextVar
from dataclasses import dataclass, field

# The id of the request being served (core.middleware.RequestIdMiddleware), "" outside a request: what an audit
# event records when its actor was made without one.
_REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    return _REQUEST_ID.get()


def serving_request(request_id: str):
    """Mark `request_id` as the request being served; returns the token to reset it with `served`."""
    return _REQUEST_ID.set(request_id or "")


def served(token):
    _REQUEST_ID.reset(token)


@dataclass(frozen=True)
class Actor:
    organisation_id: int
    roles: frozenset = field(default_factory=frozenset)
    # The organisations whose customer-side data this actor may see: its own and, for an
    # indirect provider, those of its indirect resellers.
    visible_organisation_ids: frozenset = field(default_factory=frozenset)
    user_id: int | None = None
    credential_id: int | None = None
    label: str = ""
    request_id: str = ""
    is_app_only: bool = False
    tier: str = ""

    def has_role(self, role) -> bool:
        return str(role) in self.roles
