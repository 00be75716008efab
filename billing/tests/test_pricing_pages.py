"""The Pricing workspace pages (Django client): every role reads the price list, a meter's history, the comparison,
the exchange rates and the downloads; only a Global admin of a direct-bill partner or an indirect provider sees the
import buttons and may open the import pages (403 for the others); an upload's problems show beside the field and
as a table of bad lines, and nothing is imported; a good upload redirects to its report. No 500 on odd input."""

import gzip
import hashlib
import io
import re
from datetime import UTC, datetime
from html import unescape

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role, Tier
from billing.models import ExchangeRate, PriceList, PricingImport
from billing.pricing import demo_data
from core.testing import page_url

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def text(response):
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def sheet(market="US", view="azure_consumption", month="202612"):
    return gzip.decompress((demo_data.MEDIA / f"pricesheet-{market}-{view}-{month}.csv.gz").read_bytes())


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def loaded(org):
    """The demo US consumption lists of November and December 2026 and both months' rates (through the services)."""
    from accounts.actors import system_actor
    from billing.pricing import services

    actor = system_actor(org, label="test")
    for month in ("202611", "202612"):
        services.price_sheet_import(actor=actor, file=sheet(month=month), market="US", view="azure_consumption",
                                    month=month, file_name=f"{month}.csv")
        services.fx_rates_import(actor=actor, file=(demo_data.MEDIA / f"fxrates-{month}.csv").read_bytes())


@pytest.fixture
def ga(make_user, portal_client):
    return portal_client(make_user(Role.GLOBAL_ADMIN, email="ga@a.example.com"))


@pytest.mark.parametrize("role", [Role.GLOBAL_ADMIN, Role.USER_MANAGEMENT_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT,
                                  Role.BILLING_ADMIN, Role.HELPDESK_AGENT])
def test_every_role_reads_the_pricing_pages(loaded, make_user, portal_client, role):
    client = portal_client(make_user(role))
    for name in ("pricing", "pricing_compare", "pricing_fx", "pricing_downloads", "pricing_imports"):
        response = client.get(page_url(name))
        assert response.status_code == 200, name
    page = client.get(reverse("billing:pricing"))
    assert 'data-workspace="pricing"' in page.content.decode()
    assert f'href="{reverse("billing:pricing")}"' in page.content.decode()
    can_import = role == Role.GLOBAL_ADMIN
    assert ('data-testid="import-button"' in page.content.decode()) is can_import
    assert ('data-testid="fx-import-button"' in client.get(reverse("billing:pricing_fx")).content.decode()) is can_import
    for name in ("pricing_import", "pricing_fx_import"):
        assert client.get(page_url(name)).status_code == (200 if can_import else 403)
    if not can_import:
        refused = client.post(reverse("billing:pricing_import"), {"market": "US", "view": "azure_consumption",
                                                          "month": "2026-12", "file": SimpleUploadedFile("s.csv", sheet())})
        assert refused.status_code == 403
        assert "Global admin" in text(refused)


def test_the_navigation_opens_the_pricing_workspace(make_user, portal_client):
    client = portal_client(make_user(Role.HELPDESK_AGENT))
    home = client.get(reverse("accounts:dashboard")).content.decode()
    assert re.search(r'href="/pricing/"[^>]*data-workspace="pricing"', home)


def test_the_price_list_shows_meters_with_their_tiers_and_searches(loaded, ga):
    response = ga.get(reverse("billing:pricing"), {"market": "US"})
    body = text(response)
    assert "meters in the US list of December 2026" in body
    # A page of 50 meters, then the next page.
    assert response.content.decode().count('data-meter="') == 50
    assert 'rel="next"' in response.content.decode()
    found = ga.get(reverse("billing:pricing"), {"market": "US", "q": "Hot LRS", "region": "EU West"})
    body = text(found)
    assert "1 meter of the US list of December 2026 matches the search" in body
    assert 'data-testid="tiers"' in found.content.decode()
    assert "51200" in body and "∞" in body and "1 GB/Month" in body and "EU West" in body
    nothing = ga.get(reverse("billing:pricing"), {"market": "US", "q": "no such meter anywhere"})
    assert "No meter matches the search." in text(nothing)
    tagged = ga.get(reverse("billing:pricing"), {"market": "US", "tag": "ThirdParty"})
    assert "6 meters" in text(tagged)


def test_the_price_list_query_count_does_not_grow_with_the_page(loaded, ga):
    ga.get(reverse("billing:pricing"), {"market": "US"})
    with CaptureQueriesContext(connection) as few:
        ga.get(reverse("billing:pricing"), {"market": "US", "q": "Hot LRS"})
    with CaptureQueriesContext(connection) as many:
        ga.get(reverse("billing:pricing"), {"market": "US"})
    assert len(many) == len(few)


def test_odd_query_values_fall_back_without_a_500(loaded, ga):
    for params in ({"market": "ZZ"}, {"view": "nonsense"}, {"month": "209913"}, {"month": "abc"}, {"page": "x"},
                   {"page": "999"}):
        assert ga.get(reverse("billing:pricing"), params).status_code == 200
        assert ga.get(reverse("billing:pricing_compare"), {**params, "order": "bogus", "change": "bogus"}).status_code == 200
    assert ga.get(reverse("billing:pricing_fx"), {"month": "x", "currency": "XXX"}).status_code == 200


def test_a_meters_history_has_its_chart_and_its_months(loaded, ga):
    page = ga.get(reverse("billing:pricing"), {"market": "US", "q": "Hot LRS", "region": "US East"}).content.decode()
    link = re.search(r'href="(/pricing/meters/[^"]+)"', page).group(1)
    response = ga.get(unescape(link))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="meter-chart-data"' in html and 'data-chart="meter-chart-data"' in html
    assert "chart.umd.min.js" in html
    assert '"labels": ["2026-11", "2026-12"]' in html
    assert "December 2026" in text(response) and "November 2026" in text(response)
    missing = ga.get(reverse("billing:pricing_meter", args=["NOPE", "0001"]), {"market": "US"})
    assert missing.status_code == 404


def test_the_comparison_lists_new_removed_and_changed_sorted_by_change(loaded, ga):
    response = ga.get(reverse("billing:pricing_compare"), {"market": "US"})
    body = text(response)
    assert "What changed from November 2026 to December 2026" in body
    percents = re.findall(r'data-testid="change-percent">([^<]*)<', response.content.decode())
    changed = [p for p in percents if p != "—"]
    assert changed and changed[0].startswith("+")  # largest increase first by default
    ascending = ga.get(reverse("billing:pricing_compare"), {"market": "US", "order": "change", "change": "changed"})
    first = re.search(r'data-testid="change-percent">([^<]*)<', ascending.content.decode()).group(1)
    assert first.startswith("−")
    added = ga.get(reverse("billing:pricing_compare"), {"market": "US", "change": "added"})
    assert 'data-change="added"' in added.content.decode() and 'data-change="changed"' not in added.content.decode()


def test_downloads_stream_microsofts_csv_for_every_role(loaded, make_user, portal_client):
    client = portal_client(make_user(Role.HELPDESK_AGENT))
    page = client.get(reverse("billing:pricing_downloads")).content.decode()
    assert reverse("billing:pricing_download", args=["US", "azure_consumption", "202611"]) in page
    assert "v1.0/sales/pricesheets" not in page  # the API is for GA, AA and SA
    response = client.get(reverse("billing:pricing_download", args=["US", "azure_consumption", "202612"]))
    assert response.status_code == 200
    assert 'filename="pricesheet-US-azure_consumption-202612.csv"' in response["Content-Disposition"]
    content = b"".join(response.streaming_content).decode()
    assert content.startswith('"ProductTitle","ProductId","SkuId"')
    assert len(content.splitlines()) == PriceList.objects.get(market="US", view="azure_consumption",
                                                          month="2026-12-01").row_count + 1
    fx = client.get(reverse("billing:pricing_fx_download", args=["202612"]))
    assert b"".join(fx.streaming_content).decode().startswith('"CurrencyCode","USDPerUnit","Month"')
    assert client.get(reverse("billing:pricing_download", args=["US", "azure_consumption", "201901"])).status_code == 404
    assert client.get(reverse("billing:pricing_fx_download", args=["201901"])).status_code == 404


def test_exchange_rates_by_month_and_one_currencys_history(loaded, ga):
    response = ga.get(reverse("billing:pricing_fx"), {"currency": "GBP"})
    html = response.content.decode()
    assert 'data-currency="EUR"' in html and 'data-currency="CAD"' in html
    assert 'id="fx-chart-data"' in html and '"USD / GBP"' in html
    assert "1.2803391" in text(response)


def test_a_good_upload_redirects_to_its_report_and_a_second_changes_nothing(ga):
    before = ga.post(reverse("billing:pricing_import"), {"market": "US", "view": "azure_consumption", "month": "2026-11",
                                                "file": SimpleUploadedFile("nov.csv", sheet(month="202611"))})
    assert before.status_code == 302
    response = ga.post(reverse("billing:pricing_import"), {"market": "US", "view": "azure_consumption", "month": "2026-12",
                                                  "file": SimpleUploadedFile("dec.csv", sheet())}, follow=True)
    body = text(response)
    assert "Price sheet US · Azure plan consumption · December 2026" in body
    assert "Against the previous month (2026-11)" in body
    record = PricingImport.objects.get(month="2026-12-01")
    assert f"{record.report['changed']} prices changed" in body.replace(" prices changed", " prices changed")
    assert 'data-testid="report-changed"' in response.content.decode()
    again = ga.post(reverse("billing:pricing_import"), {"market": "US", "view": "azure_consumption", "month": "2026-12",
                                               "file": SimpleUploadedFile("dec.csv", sheet())}, follow=True)
    assert "already has exactly this content" in text(again)


def test_a_sheets_bad_lines_are_listed_in_french_for_a_french_reader(ga):
    """The per-line reasons are built in SQL from translated pieces: a French reader gets them in French."""
    from django.utils import translation

    from billing.errors import PriceSheetInvalid
    from billing.pricing import services
    from core.actor import Actor

    actor = Actor(organisation_id=0, roles=frozenset(Role), label="test")
    with translation.override("fr"), pytest.raises(PriceSheetInvalid) as caught:
        services.price_sheet_import(actor=actor, file=sheet(), market="FR", view="azure_consumption",
                                    month=datetime(2026, 12, 1, tzinfo=UTC).date(), file_name="us.csv")
    reason = caught.value.data[0]["reason"]
    assert reason == "Market “US” n’est pas le marché de cette liste de prix (FR)."


def test_the_import_form_starts_on_the_partners_own_market(ga, org):
    """Not on the first country of the list (Afghanistan), which refused a US sheet uploaded as it is."""
    html = ga.get(reverse("billing:pricing_import")).content.decode()
    selected = re.search(r'<select name="market"[^>]*>.*?<option value="(\w+)" selected>', html, re.S)
    assert selected and selected.group(1) == org.country_id == "US"
    html = ga.get(reverse("billing:pricing_import") + "?market=FR").content.decode()
    assert re.search(r'<option value="FR" selected>', html)


def test_the_demos_gzipped_price_sheet_uploads_as_it_is_and_a_damaged_one_is_refused(ga):
    """The README points at the .csv.gz files under billing/data/: the page takes them as they are."""
    gz = (demo_data.MEDIA / "pricesheet-US-azure_consumption-202612.csv.gz").read_bytes()
    response = ga.post(reverse("billing:pricing_import"), {"market": "US", "view": "azure_consumption", "month": "2026-12",
                                                  "file": SimpleUploadedFile("dec.csv.gz", gz)}, follow=True)
    assert "Price sheet US · Azure plan consumption · December 2026" in text(response)
    record = PricingImport.objects.get(month="2026-12-01")
    assert record.row_count == len(sheet().decode("utf-8-sig").strip().split("\r\n")) - 1
    damaged = ga.post(reverse("billing:pricing_import"), {"market": "US", "view": "azure_consumption",
                                                 "month": "2026-11",
                                                 "file": SimpleUploadedFile("nov.csv.gz", gz[:len(gz) // 2])})
    assert damaged.status_code == 400
    assert re.search(r'data-field-error="file">[^<]*cannot be decompressed', damaged.content.decode())
    assert PricingImport.objects.filter(month="2026-11-01").count() == 0
    corrupt = bytearray(gz)
    corrupt[len(corrupt) // 2: len(corrupt) // 2 + 64] = bytes(64)  # zlib's own error, not a truncation
    refused = ga.post(reverse("billing:pricing_import"), {"market": "US", "view": "azure_consumption",
                                                 "month": "2026-11",
                                                 "file": SimpleUploadedFile("nov.csv.gz", bytes(corrupt))})
    assert refused.status_code == 400
    assert re.search(r'data-field-error="file">[^<]*cannot be decompressed', refused.content.decode())
    # The same .csv.gz again: its SHA-256 is the uploaded bytes' (as the first import stored it), so nothing reloads.
    assert record.source_sha256 == hashlib.sha256(gz).hexdigest()
    again = ga.post(reverse("billing:pricing_import"), {"market": "US", "view": "azure_consumption", "month": "2026-12",
                                               "file": SimpleUploadedFile("dec.csv.gz", gz)}, follow=True)
    assert "already has exactly this content" in text(again)


def test_a_gzip_that_decompresses_past_the_limit_is_refused(monkeypatch):
    from billing.pricing import loader

    monkeypatch.setattr(loader, "MAX_DECOMPRESSED_BYTES", 1000)
    stream = loader.ungzipped(io.BytesIO(gzip.compress(b"x" * 5000)))
    with pytest.raises(loader.FileProblem) as caught:
        while stream.read(256):
            pass
    assert "decompresses to more than" in caught.value.problems[0]["reason"]


def test_a_bad_upload_shows_the_error_beside_the_field_and_every_bad_line(ga):
    good = sheet().decode("utf-8-sig").split("\r\n")
    good[3] = good[3].replace('"USD","', '"USD","-', 1)  # a negative price on line 4
    response = ga.post(reverse("billing:pricing_import"), {"market": "US", "view": "azure_consumption", "month": "2026-12",
                                                  "file": SimpleUploadedFile("bad.csv", "\r\n".join(good).encode())})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'data-field-error="file">[^<]*Nothing was imported', html)
    assert 'data-testid="bad-rows"' in html and "<td>4</td>" in html and "<code>UnitPrice</code>" in html
    assert not PriceList.objects.exists()
    empty = ga.post(reverse("billing:pricing_import"), {"market": "US", "view": "azure_consumption", "month": "2026-12",
                                               "file": SimpleUploadedFile("empty.csv", b"")})
    assert empty.status_code == 400 and 'data-field-error="file"' in empty.content.decode()
    future = ga.post(reverse("billing:pricing_import"), {"market": "US", "view": "azure_consumption", "month": "2027-06",
                                                "file": SimpleUploadedFile("dec.csv", sheet())})
    assert future.status_code == 400
    assert re.search(r'data-field-error="month">[^<]*beyond next month', future.content.decode())
    unsold = ga.post(reverse("billing:pricing_import"), {"market": "ZZ", "view": "azure_consumption", "month": "2026-12",
                                                "file": SimpleUploadedFile("dec.csv", sheet())})
    assert unsold.status_code == 400 and 'data-field-error="market"' in unsold.content.decode()
    assert not PriceList.objects.exists()


def test_exchange_rate_upload_and_a_refused_change(ga):
    content = (demo_data.MEDIA / "fxrates-202612.csv").read_bytes()
    ok = ga.post(reverse("billing:pricing_fx_import"), {"file": SimpleUploadedFile("fx.csv", content)}, follow=True)
    assert "4 exchange rates added" in text(ok)
    changed = content.replace(b"1.0795316", b"1.0900000")
    refused = ga.post(reverse("billing:pricing_fx_import"), {"file": SimpleUploadedFile("fx.csv", changed)})
    assert refused.status_code == 400
    assert re.search(r'data-field-error="file">[^<]*never changed', unescape(refused.content.decode()))
    assert ExchangeRate.objects.get(currency="EUR").usd_per_unit == pytest.approx(__import__("decimal").Decimal(
        "1.0795316"))


def test_an_indirect_reseller_global_admin_does_not_import(make_org, make_user, portal_client):
    provider = make_org(name="Provider", tier=Tier.INDIRECT_PROVIDER)
    reseller = make_org(name="Reseller", tier=Tier.INDIRECT_RESELLER, provider=provider)
    client = portal_client(make_user(Role.GLOBAL_ADMIN, organisation=reseller))
    assert client.get(reverse("billing:pricing_import")).status_code == 403
    assert 'data-testid="import-button"' not in client.get(reverse("billing:pricing")).content.decode()


def test_another_partners_importer_is_not_named(ga, make_org, make_user, portal_client, client):
    ga.post(reverse("billing:pricing_import"), {"market": "US", "view": "azure_consumption", "month": "2026-12",
                                        "file": SimpleUploadedFile("dec.csv", sheet())})
    record = PricingImport.objects.get()
    own = ga.get(reverse("billing:pricing_import_detail", args=[record.public_id]))
    assert "ga@a.example.com" in text(own)
    other = make_user(Role.GLOBAL_ADMIN, organisation=make_org(name="Partner B"), email="gb@b.example.com")
    client.logout()
    theirs = portal_client(other)
    for url in (reverse("billing:pricing_import_detail", args=[record.public_id]), reverse("billing:pricing_imports"),
                reverse("billing:pricing_downloads")):
        body = text(theirs.get(url))
        assert "ga@a.example.com" not in body, url
    assert "another partner" in text(theirs.get(reverse("billing:pricing_imports")))


def test_an_import_report_reads_in_the_readers_language(loaded, make_user, portal_client):
    """Imports made in English (here the system) read in French on a French user's report page: the summary, the
    view's name in the title; the English reader still reads English."""
    french = portal_client(make_user(Role.GLOBAL_ADMIN, email="fr@a.example.com", language="fr"))
    sheet_import = PricingImport.objects.filter(kind="price_sheet", month="2026-12-01").get()
    fx_import = PricingImport.objects.filter(kind="fx_rates").order_by("created_at").last()
    assert "price lines imported" in sheet_import.report["message"]  # stored in the importer's language
    body = text(french.get(reverse("billing:pricing_import_detail", args=[sheet_import.public_id])))
    lines = f"{sheet_import.row_count} lignes de prix importées ({sheet_import.rows_written} lignes écrites)."
    assert lines in body
    assert "Grille tarifaire US · Consommation du plan Azure · décembre 2026" in body
    assert "price lines" not in body and "Azure plan consumption" not in body
    fx = text(french.get(reverse("billing:pricing_import_detail", args=[fx_import.public_id])))
    assert f"{fx_import.rows_written} taux de change ajoutés." in fx and "exchange rates added" not in fx
    english = portal_client(make_user(Role.GLOBAL_ADMIN, email="en@a.example.com"))
    assert f"{fx_import.rows_written} exchange rates added." in text(
        english.get(reverse("billing:pricing_import_detail", args=[fx_import.public_id])))


def test_the_same_price_list_again_reads_in_french(ga, make_user, portal_client):
    for _time in range(2):
        ga.post(reverse("billing:pricing_import"), {"market": "US", "view": "azure_consumption", "month": "2026-12",
                                                    "file": SimpleUploadedFile("dec.csv", sheet())})
    again = PricingImport.objects.order_by("created_at", "id").last()
    assert again.unchanged
    french = portal_client(make_user(Role.GLOBAL_ADMIN, email="fr@a.example.com", language="fr"))
    body = text(french.get(reverse("billing:pricing_import_detail", args=[again.public_id])))
    assert "Cette liste de prix a déjà exactement ce contenu : rien n’a été modifié." in body
    title = text(french.get(reverse("billing:pricing"), {"market": "US", "view": "azure_consumption"}))
    assert "Consommation du plan Azure" in title and "Azure plan consumption" not in title


def test_a_bad_exchange_rate_file_is_explained_in_french(make_user, portal_client):
    french = portal_client(make_user(Role.GLOBAL_ADMIN, email="fr@a.example.com", language="fr"))
    content = b"CurrencyCode,USDPerUnit,Month\nEUR,abc,202612\nXXX,1.1,202612\n"
    refused = french.post(reverse("billing:pricing_fx_import"), {"file": SimpleUploadedFile("fx.csv", content)})
    assert refused.status_code == 400
    body = text(refused)
    assert ("2 lignes erronées dans le fichier des taux de change (en premier : ligne 2, USDPerUnit : "
            "USDPerUnit « abc » n'est pas un nombre). Rien n’a été importé.") in body
    assert "CurrencyCode « XXX » n'est pas un code de devise ISO 4217." in body
