from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class PartnerCenterJSONParser(JSONParser):
    """JSON bodies; a malformed body becomes Partner Center's 800002 with a clear description.

    Property names are matched case-insensitively by `core.api.serializers.PCSerializer`, so
    PascalCase bodies from the .NET SDK and camelCase bodies from the docs both work.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            raise ParseError(_("The request body is not valid JSON (%(detail)s).") % {"detail": exc.detail}) from None
        except RecursionError:
            raise ParseError(_("The request body is nested too deeply.")) from None
