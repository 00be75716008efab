"""The summary of a pricing import (price sheet or exchange rates), written from its report's counts in the active
language. The import stores it in its report in the importer's language (the API and the commands give it as it is);
the import's page writes it again in the reader's language."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import ImportKind


def import_message(report: dict) -> str:
    """"442 price lines imported (442 rows written).", "4 exchange rates added.", or that nothing was changed."""
    unchanged = bool(report.get("unchanged"))
    written = int(report.get("rowsWritten") or 0)
    if report.get("kind") == ImportKind.FX_RATES:
        if unchanged:
            return _("These exchange rates are already set: nothing was changed.")
        return ngettext("%(count)s exchange rate added.", "%(count)s exchange rates added.", written) % {
            "count": written}
    if unchanged:
        return _("This price list already has exactly this content: nothing was changed.")
    count = int(report.get("rowCount") or 0)
    rows = ngettext("%(count)s row written", "%(count)s rows written", written) % {"count": written}
    return ngettext("%(count)s price line imported (%(written)s).", "%(count)s price lines imported (%(written)s).",
                    count) % {"count": count, "written": rows}
