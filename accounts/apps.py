from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Partner organisations and users")

    def ready(self):
        from core.api.permissions import register_route_permission_checker

        from . import schema  # noqa: F401  (registers the OpenAPI authentication extensions)
        from .permissions import require_any

        register_route_permission_checker(require_any)
