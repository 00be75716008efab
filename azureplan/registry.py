"""What later apps add to the Azure subscription page, registered from their `AppConfig.ready()` (the pattern of
customers/registry.py): azureplan never imports a later app. billing registers the PEC calendar here.

A section is a template and a context function `context(request, sub) -> dict | None` (None hides it, e.g. when the
actor may not see it); the page renders the sections in `order`, each with its data under `section`. Registering the
same key twice replaces the first entry."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SubscriptionSection:
    key: str
    template: str
    context: Callable[..., dict | None]
    order: int = 100


_sections: dict[str, SubscriptionSection] = {}


def register_subscription_section(section: SubscriptionSection):
    _sections[section.key] = section


def subscription_sections():
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def rendered_sections(request, sub) -> list[dict]:
    """[{key, template, data}] of the sections that show for this request and Azure subscription."""
    out = []
    for section in subscription_sections():
        data = section.context(request, sub)
        if data is not None:
            out.append({"key": section.key, "template": section.template, "data": data})
    return out


# ---------------------------------------------------------------- purchase checks

# Checks a later app adds to every new purchase (cart checkout, order), registered from its AppConfig.ready():
# `check(*, customer, organisation, lines)` raises a Partner Center error to refuse the purchase (nothing is ordered:
# it runs inside the checkout's transaction, before any order is written). `lines` are (availability, quantity,
# billing cycle, reseller) tuples. billing registers the credit limit (billing.invoicing.credit). Renewals and
# running subscriptions never pass here.
_purchase_checks: dict[str, Callable[..., None]] = {}


def register_purchase_check(key: str, check: Callable[..., None]):
    _purchase_checks[key] = check


def purchase_checks() -> list[Callable[..., None]]:
    return [_purchase_checks[key] for key in sorted(_purchase_checks)]


# Gates the customer page runs before it offers to buy an Azure plan, `gate(customer, organisation)` raising a
# PartnerCenterError (the same refusal the checkout would give): azureplan.ordering registers its legacy Azure gate
# (the plans layer below it shows the button and cannot import it).
_buy_gates: dict[str, Callable[..., None]] = {}


def register_buy_gate(key: str, gate: Callable[..., None]):
    _buy_gates[key] = gate


def buy_gates() -> list[Callable[..., None]]:
    return [_buy_gates[key] for key in sorted(_buy_gates)]
