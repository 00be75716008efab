"""The workspaces of the portal's navigation. Each app registers its own in `AppConfig.ready()` (customers its
list, azureplan the catalog, billing later its pricing and invoices); accounts shows those the signed-in user's
roles may use, in `order`, then Settings. accounts never imports the apps that register here."""

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class NavEntry:
    """`url_name` is reversed without arguments; without it the entry opens the "workspace" page of `key` (a
    workspace not built yet). Shown to users whose roles give `perm`."""

    key: str
    label: str
    perm: object
    order: int = 100
    url_name: str = ""

    def url(self):
        return reverse(self.url_name) if self.url_name else reverse("accounts:workspace", args=[self.key])


_entries: dict[str, NavEntry] = {}


def register(entry: NavEntry):
    """Registering a key again replaces its entry."""
    _entries[entry.key] = entry


def entries():
    return sorted(_entries.values(), key=lambda e: (e.order, e.key))
