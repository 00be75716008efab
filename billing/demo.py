"""Demo price lists and exchange rates for `make run`: the consumption and reservations sheets of the demo markets for
this month and the month before, and the USD, EUR, GBP and CAD rates of both months, imported through the same
services as an upload (billing.pricing.services), as the direct-bill partner's operator. Then the demo Azure
subscriptions' simulated usage of those two months to yesterday, imported through the usage import
(billing/usage/simulate.py, the same as `manage.py simulate_usage`).

The files are billing.pricing.demo_data's. When this month is the month they were generated for, the shipped files
under billing/data/ are imported as they are; in another month the same lists are generated for this month and the
one before (the same seed, so the same meters and prices, with that month's dates). Idempotent: a month that already
has its list or its rates is left as it is."""

import gzip
from datetime import date

from django.utils import timezone

from accounts.actors import system_actor

from .models import ExchangeRate, PriceList
from .pricing import demo_data
from .pricing import services as pricing_services
from .pricing.rules import sold_markets


def _months(today):
    this = date(today.year, today.month, 1)
    return demo_data.previous_month(this), this


def demo_files(today=None):
    """{file name: bytes} for the month of `today` (default: now) and the month before."""
    earlier, later = _months(today or timezone.now().date())
    shipped = demo_data.MEDIA / f"fxrates-{later:%Y%m}.csv"
    if shipped.exists():
        return {path.name: path.read_bytes() for path in demo_data.MEDIA.iterdir() if path.is_file()
                and (f"-{earlier:%Y%m}." in path.name or f"-{later:%Y%m}." in path.name)}
    return demo_data.files(later)


def load_demo(organisations):
    organisation = organisations.get("direct") or next(iter(organisations.values()))
    actor = system_actor(organisation, label="demo data")
    earlier, later = _months(timezone.now().date())
    files = demo_files()
    sold = sold_markets()
    for month in (earlier, later):  # the earlier month first: the later one's report compares with it
        for view in demo_data.VIEWS:
            for market in demo_data.MARKETS:
                if market not in sold or PriceList.objects.filter(market=market, view=view, month=month).exists():
                    continue
                name = f"pricesheet-{market}-{view}-{month:%Y%m}.csv.gz"
                pricing_services.price_sheet_import(actor=actor, file=gzip.decompress(files[name]), market=market,
                                                    view=view, month=month, file_name=name.removesuffix(".gz"))
        if not ExchangeRate.objects.filter(month=month).exists():
            name = f"fxrates-{month:%Y%m}.csv"
            pricing_services.fx_rates_import(actor=actor, file=files[name], month=month, file_name=name)
    _living_month(organisations)


def _living_month(organisations):
    """The demo Azure subscriptions' usage of last month and this month to date, imported and rated
    (billing/usage/simulate.py): what `manage.py simulate_usage` does. Each run adds only the days not imported yet."""
    from accounts.choices import Tier

    from .usage import simulate

    sellers = [org for org in organisations.values() if org.tier != Tier.INDIRECT_RESELLER]
    simulate.simulate_usage(organisations=sellers)
    _last_month_invoiced(sellers)


def _last_month_invoiced(sellers):
    """Last month's billing run of each selling organisation, run here in-process (the chunks and the finishing step:
    the same code as the workers), so `make run` opens on last month's finalized invoice; the "invoice ready" e-mail
    goes to the worker. A month already invoiced (a second load_demo) is left as it is."""
    import logging

    from core.errors import PartnerCenterError

    from .invoicing import runs

    last = runs.closed_month(_months(timezone.now().date())[0])
    for organisation in sellers:
        actor = system_actor(organisation, label="demo data")
        try:
            run = runs.billing_run_start(actor=actor, organisation_id=organisation.pk, month=last, enqueue=False)
        except PartnerCenterError as exc:  # invoiced already, or nothing to bill
            logging.getLogger(__name__).info("Demo billing run of %s: %s", organisation, exc.description)
            continue
        runs.billing_run_execute(run)
