from rest_framework.permissions import BasePermission


class IsPartnerActor(BasePermission):
    """Every /v1/ route needs an authenticated partner actor (request.auth is a core.actor.Actor).

    Role checks happen in the services (accounts.permissions), so pages and API share them.
    """

    def has_permission(self, request, view):
        from core.actor import Actor

        return isinstance(request.auth, Actor)
