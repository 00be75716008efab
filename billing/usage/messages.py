"""The summary of a usage import, written in the active language from the import's counts. The import stores it in
its report in the language of the page or API call that started it (the API and the command give it as it is); the
import's page writes it again in the reader's language (`import_message`)."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..pricing.loader import problems_summary


def problems_message(first, total) -> str:
    """Why a usage file was refused: "3 problems in the usage file (the first: line 4, UsageDate: …). Nothing was
    imported." The column is left out when the problem has none (a problem of the whole file)."""
    counted = ngettext("%(count)s problem in the usage file", "%(count)s problems in the usage file", total) % {
        "count": total}
    return problems_summary(counted, first, total)


def same_file_message(when: datetime) -> str:
    return _("This file was already imported (import of %(when)s) and nothing it depends on changed: 0 rows added, "
             "nothing was changed.") % {"when": timezone.localtime(when).strftime("%Y-%m-%d %H:%M")}


def lines_message(*, lines, added, replaced, unchanged, unmatched, legacy) -> str:
    """What an import wrote: "900 usage lines read: 880 rows added, 0 replaced, …"."""
    values = {"lines": lines,
              "unchanged": ngettext("%(count)s row unchanged", "%(count)s rows unchanged", unchanged)
              % {"count": unchanged},
              "unmatched": ngettext("%(count)s kept aside (unmatched)", "%(count)s kept aside (unmatched)", unmatched)
              % {"count": unmatched}}
    if added == 0 and replaced == 0:
        values["unchanged"] = ngettext("%(count)s row already there", "%(count)s rows already there", unchanged) % {
            "count": unchanged}
        return ngettext("%(lines)s usage line read: 0 rows added, nothing was changed (%(unchanged)s, %(unmatched)s).",
                        "%(lines)s usage lines read: 0 rows added, nothing was changed (%(unchanged)s, "
                        "%(unmatched)s).", lines) % values
    values.update(
        added=ngettext("%(count)s row added", "%(count)s rows added", added) % {"count": added},
        replaced=ngettext("%(count)s replaced", "%(count)s replaced", replaced) % {"count": replaced},
        legacy=ngettext("%(count)s not rated (legacy)", "%(count)s not rated (legacy)", legacy) % {"count": legacy})
    return ngettext("%(lines)s usage line read: %(added)s, %(replaced)s, %(unchanged)s, %(unmatched)s, %(legacy)s.",
                    "%(lines)s usage lines read: %(added)s, %(replaced)s, %(unchanged)s, %(unmatched)s, %(legacy)s.",
                    lines) % values


def import_message(record) -> str:
    """The summary of UsageImport `record` in the active language when it succeeded (what it wrote, or that it was
    the same file again); otherwise the stored message (a failure, or a report older than these counts)."""
    report = record.report or {}
    status = report.get("status")
    stored = str(report.get("message") or "")
    if status == "succeeded":
        if report.get("sameAs"):
            when = report.get("sameAsAt")
            return same_file_message(datetime.fromisoformat(when)) if when else stored
        return lines_message(lines=record.line_count, added=record.rows_added, replaced=record.rows_replaced,
                             unchanged=record.rows_unchanged, unmatched=record.rows_unmatched,
                             legacy=record.rows_not_rated)
    return stored
