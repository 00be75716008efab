from rest_framework.permissions import BasePermission


class IsPartnerActor(BasePermission):
    """Every /v1/ route needs an authenticated partner actor (request.auth is a core.actor.Actor).

    Role checks happen in the services (accounts.permissions), so pages and API share them. A view may also name
    the permissions its route needs (`PCAPIView.required_permissions`): they are checked before the body is read,
    by the checker the permission matrix's app registers (core does not know the matrix).
    """

    def has_permission(self, request, view):
        from core.actor import Actor

        return isinstance(request.auth, Actor)


_route_permission_checker = None


def register_route_permission_checker(checker):
    """`checker(actor, permissions)` raises core.errors.PermissionDenied unless the actor holds one of them."""
    global _route_permission_checker
    _route_permission_checker = checker


def check_route_permissions(actor, permissions):
    if _route_permission_checker is None:
        raise RuntimeError("No route permission checker is registered (accounts registers it in AppConfig.ready).")
    _route_permission_checker(actor, permissions)
