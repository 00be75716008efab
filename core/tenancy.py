"""The one place where rows are scoped to the acting organisation.

A tenant-owned model uses `TenantManager` and names the field that reaches its organisation
(`tenant_field`, a lookup path such as "organisation" or "customer__organisation") and whether
an indirect provider also sees its resellers' rows (`tenant_scope = "provider"`) or only its
own (`"own"`). A model whose visibility is richer defines a `tenant_q(actor)` classmethod returning
the Q of the rows the actor may see (customers: the partner's own, or those it is the reseller of).
Selectors start from `Model.objects.for_actor(actor)`; a foreign id therefore
answers 404 like a missing one.
"""

from django.db import models

from .errors import NotFound


class TenantQuerySet(models.QuerySet):
    def for_actor(self, actor):
        if hasattr(self.model, "tenant_q"):
            return self.filter(self.model.tenant_q(actor))
        tenant_field = getattr(self.model, "tenant_field", "organisation")
        scope = getattr(self.model, "tenant_scope", "own")
        if scope == "provider":
            ids = actor.visible_organisation_ids or {actor.organisation_id}
            return self.filter(**{f"{tenant_field}__in": list(ids)})
        return self.filter(**{tenant_field: actor.organisation_id})


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    pass


def get_for_actor_or_404(queryset, actor, description=None, **lookup):
    """Fetch one row visible to the actor; a foreign, unknown or malformed id raises the same 404."""
    from django.core.exceptions import ValidationError

    try:
        return queryset.for_actor(actor).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound(description) from None
