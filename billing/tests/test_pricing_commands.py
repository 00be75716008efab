"""manage.py import_price_sheet and import_fx_rates."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command

from billing.models import ExchangeRate, PriceList, PriceSheetRow
from core.models import AuditEvent

from .sheets import fx, row, sheet

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 12, 6, tzinfo=UTC), tick=False):
        yield


def test_import_price_sheet_command(tmp_path, capsys):
    path = tmp_path / "sheets.csv"
    path.write_bytes(sheet())
    call_command("import_price_sheet", str(path), "--market", "US", "--view", "azure_consumption", "--month", "2026-12")
    assert "4 price lines imported" in capsys.readouterr().out
    assert PriceSheetRow.objects.count() == 4
    event = AuditEvent.objects.get(action="price_list.imported")
    assert event.actor_label == "operator (manage.py import_price_sheet)" and len(event.data["sha256"]) == 64
    call_command("import_price_sheet", str(path), "--market", "US", "--view", "azure_consumption", "--month", "202612")
    assert "nothing was changed" in capsys.readouterr().out


def test_import_price_sheet_command_as_a_user(tmp_path, global_admin, make_user):
    path = tmp_path / "sheets.csv"
    path.write_bytes(sheet())
    call_command("import_price_sheet", str(path), "--market", "US", "--view", "azure_consumption", "--month", "2026-12",
                 "--email", global_admin.email)
    assert PriceList.objects.get().imported_by_user_id == global_admin.pk
    agent = make_user("admin_agent", email="agent@a.example.com")
    with pytest.raises(CommandError):
        call_command("import_price_sheet", str(path), "--market", "US", "--view", "azure_consumption", "--month",
                     "2026-12", "--email", agent.email)


def test_import_price_sheet_command_lists_bad_lines(tmp_path):
    path = tmp_path / "sheets.csv"
    path.write_bytes(sheet([row(), row(sku_id="X", price="abc")]))
    with pytest.raises(CommandError) as caught:
        call_command("import_price_sheet", str(path), "--market", "US", "--view", "azure_consumption", "--month",
                     "2026-12")
    assert "line 3, UnitPrice:" in str(caught.value)
    assert PriceList.objects.count() == 0
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_price_sheet", str(tmp_path / "missing.csv"), "--market", "US", "--view",
                     "azure_consumption", "--month", "2026-12")


def test_import_fx_rates_command(tmp_path, capsys):
    path = tmp_path / "fx.csv"
    path.write_bytes(fx([["EUR", "1.08", "202612"], ["CAD", "0.73", "202612"]]))
    call_command("import_fx_rates", str(path))
    assert "2 exchange rates added" in capsys.readouterr().out
    assert ExchangeRate.objects.count() == 2
    path.write_bytes(fx([["EUR", "1.09", "202612"]]))
    with pytest.raises(CommandError, match="never changed"):
        call_command("import_fx_rates", str(path))
