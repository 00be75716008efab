"""OpenAPI descriptions of our authentication classes (drf-spectacular extensions)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token (App+User) or an application credential (App only), created under "
                           "Settings > API tokens or with `python manage.py create_api_token`.",
        }


class MfaSessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.MfaSessionAuthentication"
    name = "portalSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid",
                "description": "The portal's session, after the second factor; CSRF header required on writes."}
