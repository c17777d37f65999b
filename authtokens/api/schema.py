"""OpenAPI description of Bearer token authentication (loaded by AuthTokensConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "authtokens.api.authentication.BearerTokenAuthentication"
    name = "authToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "Keyward auth token (kw_dev_… or kw_ci_…)",
            "description": "A developer token acts as its member in its own workspace; "
            "a CI token reaches only license status (and parameters).",
        }
