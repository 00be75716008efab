"""The pricing host's CSV routes (/v1.0/sales/...) and the /v1/pricing extensions."""

import csv
import gzip
import io
import zlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.choices import Role
from billing.models import ExchangeRate, PriceList, PriceSheetRow
from billing.pricing import services
from core.testing import assert_error, fixture_text

from .sheets import HEADER, MAX_TIER, fx, row, sheet, storage_tiers

pytestmark = [pytest.mark.django_db]
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
SHEET_URL = "/v1.0/sales/pricesheets(Market='US',PricesheetView='azure_consumption')/$value"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def loaded(global_admin, actor_of):
    actor = actor_of(global_admin)
    services.price_sheet_import(actor=actor, file=sheet([row(price="0.09", start="11/1/2026 12:00:00 AM")]),
                                market="US", view="azure_consumption", month="2026-11")
    services.price_sheet_import(actor=actor, file=sheet([row(price="0.12"), *storage_tiers()]), market="US",
                                view="azure_consumption", month="2026-12")
    services.fx_rates_import(actor=actor, file=fx([["EUR", "1.08", "202612"], ["GBP", "1.27", "202612"]]))
    return actor


def _body(response):
    assert response.streaming
    return b"".join(response.streaming_content)


def test_price_sheet_download_in_microsofts_columns(api, loaded):
    response = api.get(SHEET_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment; filename=sheets.csv"
    assert response["Cache-Control"] == "no-store"
    text = _body(response).decode()
    lines = text.splitlines()
    assert lines[0] == ",".join(f'"{name}"' for name in HEADER)
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 5
    by_min = {r[11]: r for r in rows[1:] if r[1] == "DZH318Z0BNVX"}
    assert by_min["512000"][12] == MAX_TIER and by_min["512000"][10] == "0.017"
    vm = next(r for r in rows[1:] if r[1] == "DZH318Z0BQ4X")
    assert vm[10:15] == ["0.12", "", "", "12/1/2026 12:00:00 AM", "11/30/9999 11:59:59 PM"]
    # The download imports again as the same content: round trip.
    assert services.price_sheet_import(actor=loaded, file=text.encode(), market="US", view="azure_consumption",
                                       month="2026-12").unchanged


def test_microsofts_request_works_by_changing_only_the_host(api, loaded):
    request_line = fixture_text("get-price-sheet-azure-consumption.request.http").splitlines()[0]
    url = request_line.split()[1].replace("https://api.partner.microsoft.com", "")
    # Microsoft's example asks for market 'ad', September 2019: we have US December 2026 only.
    assert_error(api.get(url), 404, 990302)
    us = url.replace("Market='ad'", "Market='US'").replace("month=201909", "month=202611")
    assert _body(api.get(us)).decode().count("\n") == 2


def test_download_is_streamed_chunk_by_chunk(api, global_admin, actor_of):
    rows = [row(sku_id=f"{n:04d}", price=f"0.{n:04d}") for n in range(5000)]
    services.price_sheet_import(actor=actor_of(global_admin), file=sheet(rows), market="US",
                                view="azure_consumption", month="2026-12")
    response = api.get(SHEET_URL)
    chunks = iter(response.streaming_content)
    first, second = next(chunks), next(chunks)
    assert first.startswith(b'"ProductTitle"') and b"0000" in second
    rest = list(chunks)
    assert len(rest) >= 1  # PostgreSQL's COPY sends rows as they come: many chunks, never one blob
    assert (first + second + b"".join(rest)).count(b"\n") == 5001


def test_timeline_history_future_and_errors(api, loaded):
    assert b'"0.09"' in _body(api.get(SHEET_URL + "?timeline=history&month=202611"))
    assert_error(api.get(SHEET_URL + "?timeline=history"), 400, 800002, field="month")
    assert_error(api.get(SHEET_URL + "?timeline=later"), 400, 800002, field="timeline")
    assert_error(api.get(SHEET_URL + "?timeline=future"), 404, 990302)
    bad_view = "/v1.0/sales/pricesheets(Market='US',PricesheetView='marketplace')/$value"
    assert_error(api.get(bad_view), 400, 800002, field="view")


@pytest.mark.parametrize("encoding, decompress", [
    ("gzip", gzip.decompress), ("deflate", zlib.decompress), ("gzip, deflate, br", gzip.decompress)])
def test_compressed_when_asked(api, loaded, encoding, decompress):
    plain = _body(api.get(SHEET_URL))
    response = api.get(SHEET_URL, HTTP_ACCEPT_ENCODING=encoding)
    assert response["Content-Encoding"] == encoding.split(",")[0]
    assert "Accept-Encoding" in response["Vary"]
    assert decompress(_body(response)) == plain


def test_fx_download(api, loaded):
    request_line = fixture_text("get-fx-rates.request.http").splitlines()[0]
    url = request_line.split()[1].replace("https://api.partner.microsoft.com", "").replace("201909", "202612")
    response = api.get(url, HTTP_ACCEPT_ENCODING="deflate")
    assert response.status_code == 200 and response["Content-Disposition"] == "attachment; filename=fxrates"
    text = zlib.decompress(_body(response)).decode()
    assert text.splitlines() == ['"CurrencyCode","USDPerUnit","Month"', '"EUR","1.08","202612"',
                                 '"GBP","1.27","202612"']
    assert_error(api.get("/v1.0/sales/fxrates(Month='202601')/$value"), 404, 990304)
    assert_error(api.get("/v1.0/sales/fxrates(Month='2026')/$value"), 400, 800002, field="month")


@pytest.mark.parametrize("role", [Role.BILLING_ADMIN, Role.HELPDESK_AGENT])
def test_partner_center_routes_need_ga_aa_or_sa(make_user, api_client_for, loaded, role):
    assert_error(api_client_for(make_user(role)).get(SHEET_URL), 403, 2032)


def test_partner_center_routes_are_app_user_only(loaded, global_admin, actor_of):
    from accounts.choices import CredentialKind
    from accounts.services import credential_create

    _credential, raw = credential_create(actor=actor_of(global_admin), name="app", kind=CredentialKind.APP,
                                         roles=[Role.ADMIN_AGENT.value])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert_error(client.get(SHEET_URL), 403, 2032)
    assert client.get("/v1/pricing/pricelists").status_code == 200  # the extensions allow App only


def test_unauthenticated_and_unknown_paths_get_the_envelope(loaded):
    client = APIClient()
    assert_error(client.get(SHEET_URL), 401, 800001)
    assert_error(client.get("/v1.0/sales/other"), 401, 800001)


def test_unknown_pricing_host_path_is_404_json(api):
    assert_error(api.get("/v1.0/sales/nothing"), 404, 1000)


def test_session_client_reads_and_bearer_post_needs_no_csrf(portal_client, global_admin, api):
    response = api.post("/v1/pricing/imports?market=US&view=azure_consumption&month=202612",
                        data=sheet(), content_type="text/csv")
    assert response.status_code == 201, response.content
    client = portal_client(global_admin)
    assert client.get(SHEET_URL).status_code == 200


# ---------------------------------------------------------------- /v1/pricing extensions


def test_import_by_api_csv_body_and_multipart(api):
    url = "/v1/pricing/imports?market=US&view=azure_consumption&month=202612&fileName=dec.csv"
    response = api.post(url, data=sheet(), content_type="text/csv")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rowCount"] == 4 and body["rowsWritten"] == 4 and not body["unchanged"]
    assert body["fileName"] == "dec.csv" and body["report"]["rowCount"] == 4
    again = api.post("/v1/pricing/imports?market=US&view=azure_consumption&month=202612",
                     data={"file": io.BytesIO(sheet())}, format="multipart")
    assert again.status_code == 200 and again.json()["unchanged"] is True
    listed = api.get("/v1/pricing/imports").json()
    assert listed["totalCount"] == 2
    one = api.get(f"/v1/pricing/imports/{body['id']}").json()
    assert one["sha256"] == body["sha256"]
    assert_error(api.get("/v1/pricing/imports/not-a-guid"), 404, 1000)


def test_import_by_api_bad_lines_listed(api):
    response = api.post("/v1/pricing/imports?market=US&view=azure_consumption&month=202612",
                        data=sheet([row(), row(sku_id="X", price="-1")]), content_type="text/csv")
    body = assert_error(response, 400, 800002, name="PriceSheetInvalid")
    assert body["data"] == [{"line": 3, "column": "UnitPrice", "reason": body["data"][0]["reason"]}]
    assert PriceList.objects.count() == 0
    assert_error(api.post("/v1/pricing/imports?market=US&view=azure_consumption&month=202612", data=b"",
                          content_type="text/csv"), 400, 800002, name="PriceSheetInvalid")
    assert_error(api.post("/v1/pricing/imports?market=US&view=nope&month=202612", data=sheet(),
                          content_type="text/csv"), 400, 800002, field="view")
    assert_error(api.post("/v1/pricing/imports?market=US&view=azure_consumption&month=202612", data={"a": 1},
                          format="json"), 400, 800002, field="file")


def test_import_by_api_needs_a_global_admin(make_user, api_client_for):
    client = api_client_for(make_user(Role.ADMIN_AGENT))
    assert_error(client.post("/v1/pricing/imports?market=US&view=azure_consumption&month=202612", data=sheet(),
                             content_type="text/csv"), 403, 2032)
    assert PriceSheetRow.objects.count() == 0


def test_meter_search_paged(api, loaded):
    url = "/v1/pricing/pricelists/US/azure_consumption/202612/meters"
    body = api.get(url + "?product=storage&size=2").json()
    assert [r["pricingTierRangeMin"] for r in body["items"]] == ["0", "51200"]
    assert body["items"][0]["unitPrice"] == "0.0184"
    nxt = api.get("/v1" + body["links"]["next"]["uri"], HTTP_MS_CONTINUATIONTOKEN=body["continuationToken"]).json()
    assert [r["pricingTierRangeMin"] for r in nxt["items"]] == ["512000"]
    assert api.get(url.replace("202612", "current") + "?region=us%20east").json()["totalCount"] == 1
    assert api.get(url + "?tag=consumption&meter=3a6a1b7c").json()["totalCount"] == 3
    assert_error(api.get(url.replace("202612", "202501")), 404, 990302)


def test_meter_tiers_and_history(api, loaded):
    tiers = api.get("/v1/pricing/pricelists/US/azure_consumption/202612/meters/DZH318Z0BNVX/0016").json()
    assert [t["unitPrice"] for t in tiers["items"]] == ["0.0184", "0.0177", "0.017"]
    history = api.get("/v1/pricing/pricelists/US/azure_consumption/meters/DZH318Z0BQ4X/003C/history").json()
    assert [(h["month"], h["unitPrice"]) for h in history["items"]] == [("202611", "0.09"), ("202612", "0.12")]
    assert_error(api.get("/v1/pricing/pricelists/US/azure_consumption/202612/meters/NOPE/0001"), 404, 990303)


def test_diff_between_two_months(api, loaded):
    body = api.get("/v1/pricing/pricelists/US/azure_consumption/diff?from=202611&to=202612&orderBy=-change&size=2")
    body = body.json()
    assert body["counts"] == {"added": 3, "removed": 0, "changed": 1}
    assert body["items"][0]["change"] == "changed" and body["items"][0]["changePercent"] == "33.33"
    rest = api.get("/v1" + body["links"]["next"]["uri"], HTTP_MS_CONTINUATIONTOKEN=body["continuationToken"]).json()
    assert len(rest["items"]) == 2 and "continuationToken" not in rest
    assert_error(api.get("/v1/pricing/pricelists/US/azure_consumption/diff?from=202611"), 400, 800002, field="to")
    assert_error(api.get("/v1/pricing/pricelists/US/azure_consumption/diff?from=202611&to=202612&change=x"), 400,
                 800002, field="change")


def test_price_lists_and_fx_rates(api, loaded):
    lists = api.get("/v1/pricing/pricelists?market=us").json()
    assert [(p["month"], p["rowCount"]) for p in lists["items"]] == [("202612", 4), ("202611", 1)]
    rates = api.get("/v1/pricing/fxrates?month=202612").json()
    assert [(r["currencyCode"], r["usdPerUnit"]) for r in rates["items"]] == [("EUR", "1.08"), ("GBP", "1.27")]


def test_fx_import_by_api_and_refusal(api):
    url = "/v1/pricing/fxrates/imports"
    assert api.post(url, data=fx([["EUR", "1.08", "202612"]]), content_type="text/csv").status_code == 201
    body = assert_error(api.post(url, data=fx([["EUR", "1.1", "202612"]]), content_type="text/csv"), 409, 990301)
    assert body["data"][0]["line"] == 2
    assert ExchangeRate.objects.get().usd_per_unit == Decimal("1.08")


@pytest.mark.parametrize("role", [Role.BILLING_ADMIN, Role.HELPDESK_AGENT, Role.SALES_AGENT])
def test_extensions_readable_by_every_role(make_user, api_client_for, loaded, role):
    assert api_client_for(make_user(role)).get("/v1/pricing/pricelists").status_code == 200


def test_openapi_schema_lists_the_pricing_routes_with_errors(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    sheet_path = paths["/v1.0/sales/pricesheets(Market='{market}',PricesheetView='{view}')/$value"]["get"]
    assert set(sheet_path["responses"]) >= {"200", "400", "401", "403", "404"}
    assert "/v1.0/sales/fxrates(Month='{month}')/$value" in paths
    assert "400" in paths["/v1/pricing/imports"]["post"]["responses"]
