"""Who is acting: a signed-in user, a user's personal token (App+User) or an application credential (App only).

Services and selectors take an Actor, never a request: the same rules hold for pages, the API,
management commands and Celery tasks.
"""

from dataclasses import dataclass, field


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
