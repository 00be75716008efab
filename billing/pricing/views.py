"""The Pricing workspace: the price list (search and browse), a meter's price history, the comparison of two months,
downloads, exchange rates and the imports. Reading needs Perm.VIEW_PRICING (every role, domain.md §1.3); importing
Perm.IMPORT_PRICING (Global admins of direct-bill partners and indirect providers). The same selectors and services
as the API."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts import selectors as account_selectors
from accounts.permissions import Perm, allowed
from accounts.views.portal import portal_page
from core.errors import InvalidInput, PartnerCenterError
from core.forms import apply_error

from ..errors import PriceListNotFound
from ..models import ImportKind, PriceSheetView
from . import page_selectors, selectors, services
from .forms import FxRatesImportForm, PriceSheetImportForm
from .messages import import_message
from .rules import month_parse

PER_PAGE = 50
DIFF_PER_PAGE = 100
SEARCH_FIELDS = ("q", "product", "sku", "region", "tag")
ORDERS = ("product", "change", "-change")


def _base(request, tab, **extra):
    return {"tab": tab, "can_import": allowed(request.actor, Perm.IMPORT_PRICING), **extra}


def _market_default(request, markets):
    """The partner's own country when it has price lists, else the first market that has."""
    country = account_selectors.organisation_get(actor=request.actor).country_id
    return country if country in markets else (markets[0] if markets else "US")


def _choose(request, *, default_view=PriceSheetView.AZURE_CONSUMPTION):
    """(market, view, markets with lists) from the query string, falling back to the defaults for unknown values."""
    markets = page_selectors.markets(actor=request.actor)
    market = (request.GET.get("market") or "").strip().upper()
    if market not in markets:
        market = _market_default(request, markets)
    view = request.GET.get("view") or default_view
    if view not in PriceSheetView.values:
        view = default_view
    return market, view, markets


def _month_or_none(value):
    try:
        return month_parse(value) if value else None
    except InvalidInput:
        return None


# ---------------------------------------------------------------- the price list


@require_GET
@portal_page(Perm.VIEW_PRICING)
def price_list(request):
    actor = request.actor
    market, view, markets = _choose(request)
    months = page_selectors.months(actor=actor, market=market, view=view)
    asked = _month_or_none(request.GET.get("month"))
    current = None
    try:
        if asked in months:
            current = selectors.price_list_get(actor=actor, market=market, view=view, month=asked)
        else:
            current = selectors.price_list_for_timeline(actor=actor, market=market, view=view, timeline="current")
    except PriceListNotFound:
        current = None
    filters = {name: (request.GET.get(name) or "").strip()[:100] for name in SEARCH_FIELDS}
    total, meters, page = 0, [], None
    if current is not None:
        number = _page_number(request)
        total, meters = page_selectors.meter_page(actor=actor, price_list=current, filters=filters, page=number,
                                                  per_page=PER_PAGE)
        page = Paginator(range(total), PER_PAGE).get_page(number)
    query = {k: v for k, v in {"market": market, "view": view,
                               "month": f"{current.month:%Y%m}" if current else "", **filters}.items() if v}
    return render(request, "billing/pricing/price_list.html", _base(
        request, "list", market=market, view=view, markets=markets, months=months, price_list=current,
        filters=filters, searching=any(filters.values()), total=total, meters=meters, page=page,
        page_query=urlencode(query), views=PriceSheetView.choices, meter_query=urlencode({"market": market,
                                                                                         "view": view})))


MAX_PAGE = 100_000  # far beyond any list; keeps the offset a number PostgreSQL takes (a huge ?page= was a 500)


def _page_number(request):
    try:
        return min(max(int(request.GET.get("page") or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


@require_GET
@portal_page(Perm.VIEW_PRICING)
def meter_detail(request, product_id, sku_id):
    actor = request.actor
    market, view, _markets = _choose(request)
    history = selectors.meter_history(actor=actor, market=market, view=view, product_id=product_id, sku_id=sku_id)
    latest_month = history[-1]["month"]
    current = selectors.price_list_get(actor=actor, market=market, view=view, month=latest_month)
    rows = selectors.meter_tiers(actor=actor, price_list=current, product_id=product_id, sku_id=sku_id)
    first = rows[-1]
    latest_start = max(r.effective_start for r in rows)
    tiers = [r for r in rows if r.effective_start == latest_start]
    earlier = [r for r in rows if r.effective_start != latest_start]
    return render(request, "billing/pricing/meter.html", _base(
        request, "list", market=market, view=view, meter=first, region=page_selectors.region_of(first.sku_title),
        tiers=tiers, earlier=earlier, price_list=current, chart=page_selectors.meter_chart(history),
        months=list(reversed(page_selectors.meter_months(history))),
        back=f"{reverse('billing:pricing')}?{urlencode({'market': market, 'view': view})}"))


# ---------------------------------------------------------------- comparing two months


@require_GET
@portal_page(Perm.VIEW_PRICING)
def compare(request):
    actor = request.actor
    market, view, markets = _choose(request)
    months = page_selectors.months(actor=actor, market=market, view=view)
    to_month = _month_or_none(request.GET.get("to"))
    from_month = _month_or_none(request.GET.get("from"))
    if to_month not in months:
        to_month = months[0] if months else None
    if from_month not in months or from_month == to_month:
        earlier = [m for m in months if to_month and m < to_month]
        from_month = earlier[0] if earlier else None
    change = request.GET.get("change") or ""
    change = change if change in selectors.DIFF_CHANGES else ""
    order = request.GET.get("order") or "-change"
    order = order if order in ORDERS else "-change"
    counts, rows, page = None, [], None
    if from_month and to_month:
        number = _page_number(request)
        counts, rows = selectors.price_list_diff(actor=actor, market=market, view=view, from_month=from_month,
                                                 to_month=to_month, change=change or None, order=order,
                                                 offset=(number - 1) * DIFF_PER_PAGE, limit=DIFF_PER_PAGE)
        shown = counts[change] if change else sum(counts.values())
        page = Paginator(range(shown), DIFF_PER_PAGE).get_page(number)
    base = {"market": market, "view": view, "from": f"{from_month:%Y%m}" if from_month else "",
            "to": f"{to_month:%Y%m}" if to_month else ""}
    return render(request, "billing/pricing/compare.html", _base(
        request, "compare", market=market, view=view, markets=markets, months=months, views=PriceSheetView.choices,
        from_month=from_month, to_month=to_month, change=change, order=order, counts=counts, rows=rows, page=page,
        base_query=urlencode(base), change_query=urlencode({**base, "order": order}),
        page_query=urlencode({**base, "order": order, **({"change": change} if change else {})}),
        meter_query=urlencode({"market": market, "view": view})))


# ---------------------------------------------------------------- downloads


@require_GET
@portal_page(Perm.VIEW_PRICING)
def downloads(request):
    actor = request.actor
    lists = list(selectors.price_list_list(actor=actor))
    return render(request, "billing/pricing/downloads.html", _base(
        request, "downloads", lists=lists, fx_months=selectors.fx_months(actor=actor),
        api_allowed=allowed(actor, Perm.VIEW_PRICE_SHEET_API),
        api_base=request.build_absolute_uri("/").rstrip("/")))


def _attachment(chunks, file_name):
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@require_GET
@portal_page(Perm.VIEW_PRICING)
def download_sheet(request, market, view, month):
    """One price list as Microsoft's CSV, streamed from the database (every role may download in the portal,
    domain.md §1.3; the Partner Center route of the API is for GA, AA and SA)."""
    found = selectors.price_list_get(actor=request.actor, market=market, view=view, month=month)
    return _attachment(selectors.price_sheet_csv(actor=request.actor, price_list=found),
                       f"pricesheet-{found.market}-{found.view}-{found.month:%Y%m}.csv")


@require_GET
@portal_page(Perm.VIEW_PRICING)
def download_fx(request, month):
    chunks = selectors.fx_rates_csv(actor=request.actor, month=month)
    return _attachment(chunks, f"fxrates-{month}.csv")


# ---------------------------------------------------------------- exchange rates


@require_GET
@portal_page(Perm.VIEW_PRICING)
def exchange_rates(request):
    actor = request.actor
    months = selectors.fx_months(actor=actor)
    month = _month_or_none(request.GET.get("month"))
    if month not in months:
        month = months[0] if months else None
    currencies = page_selectors.fx_currencies(actor=actor)
    billing_currency = account_selectors.organisation_get(actor=actor).billing_currency
    currency = (request.GET.get("currency") or "").strip().upper()
    if currency not in currencies:
        # The partner's billing currency, else the first of EUR, GBP, ... that has rates (USD is always 1).
        preferred = [billing_currency, "EUR", "GBP", *currencies]
        currency = next((c for c in preferred if c in currencies and c != "USD"), currencies[0] if currencies else "")
    return render(request, "billing/pricing/exchange_rates.html", _base(
        request, "fx", months=months, month=month, currencies=currencies, currency=currency,
        rates=page_selectors.fx_table(actor=actor, month=month) if month else [],
        chart=page_selectors.fx_chart(actor=actor, currency=currency) if currency else None,
        history=list(reversed(list(selectors.fx_rate_list(actor=actor, currency=currency).order_by("month"))))
        if currency else []))


# ---------------------------------------------------------------- imports


def _import_page(request, form, *, template, bad_rows=None, status=200, kind):
    return render(request, template, _base(
        request, "imports", form=form, bad_rows=bad_rows or [],
        imports=selectors.import_list(actor=request.actor, kind=kind)[:20]), status=status)


def _failed(form, exc):
    """A service's refusal: beside the field it names (the file when it is about the lines), and the bad lines."""
    if exc.field in (None, "", "file"):
        form.add_error("file", str(exc.description))
    else:
        apply_error(form, exc)
    return exc.data if isinstance(exc.data, list) else []


@require_http_methods(["GET", "POST"])
@portal_page(Perm.IMPORT_PRICING)
def import_price_sheet(request):
    template = "billing/pricing/import_sheet.html"
    if request.method == "GET":
        initial = {k: request.GET[k] for k in ("market", "view") if request.GET.get(k)}
        form = PriceSheetImportForm(initial=initial)
        if "market" not in initial:  # the partner's own market first, not the first country of the list
            country = account_selectors.organisation_get(actor=request.actor).country_id
            if country in dict(form.fields["market"].choices):
                form.initial["market"] = country
        return _import_page(request, form, template=template,
                            kind=ImportKind.PRICE_SHEET)
    form = PriceSheetImportForm(request.POST, request.FILES)
    bad_rows = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.price_sheet_import(actor=request.actor, file=upload, market=form.cleaned_data["market"],
                                                 view=form.cleaned_data["view"], month=form.cleaned_data["month"],
                                                 file_name=upload.name)
        except PartnerCenterError as exc:
            bad_rows = _failed(form, exc)
        else:
            return redirect("billing:pricing_import_detail", public_id=result.pricing_import.public_id)
    return _import_page(request, form, template=template, bad_rows=bad_rows, status=400, kind=ImportKind.PRICE_SHEET)


@require_http_methods(["GET", "POST"])
@portal_page(Perm.IMPORT_PRICING)
def import_fx_rates(request):
    template = "billing/pricing/import_fx.html"
    if request.method == "GET":
        return _import_page(request, FxRatesImportForm(), template=template, kind=ImportKind.FX_RATES)
    form = FxRatesImportForm(request.POST, request.FILES)
    bad_rows = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.fx_rates_import(actor=request.actor, file=upload, month=form.cleaned_data["month"],
                                              file_name=upload.name)
        except PartnerCenterError as exc:
            bad_rows = _failed(form, exc)
        else:
            return redirect("billing:pricing_import_detail", public_id=result.pricing_import.public_id)
    return _import_page(request, form, template=template, bad_rows=bad_rows, status=400, kind=ImportKind.FX_RATES)


@require_GET
@portal_page(Perm.VIEW_PRICING)
def import_detail(request, public_id):
    record = selectors.import_get(actor=request.actor, public_id=public_id)
    report = record.report or {}
    # The summary in the reader's language (the report keeps it in the importer's).
    report = {**report, "message": import_message({"kind": record.kind, "unchanged": record.unchanged,
                                                   "rowCount": record.row_count,
                                                   "rowsWritten": record.rows_written})}
    context = {"record": record, "report": report, "is_sheet": record.kind == ImportKind.PRICE_SHEET}
    if record.kind == ImportKind.PRICE_SHEET and report.get("previousMonth"):
        context["compare_query"] = urlencode({"market": record.market, "view": record.view,
                                              "from": report["previousMonth"].replace("-", ""),
                                              "to": f"{record.month:%Y%m}"})
    if record.kind == ImportKind.PRICE_SHEET:
        context["meter_query"] = urlencode({"market": record.market, "view": record.view})
        context["list_query"] = urlencode({"market": record.market, "view": record.view,
                                           "month": f"{record.month:%Y%m}"})
    return render(request, "billing/pricing/import_detail.html", _base(request, "imports", **context))


@require_GET
@portal_page(Perm.VIEW_PRICING)
def imports(request):
    """Every import (price sheets and exchange rates), newest first: readable by every role."""
    number = _page_number(request)
    paginator = Paginator(selectors.import_list(actor=request.actor), 50)
    page = paginator.get_page(number)
    if number > paginator.num_pages and paginator.count:
        raise Http404
    return render(request, "billing/pricing/imports.html", _base(request, "imports", page=page,
                                                                  now=timezone.now()))
