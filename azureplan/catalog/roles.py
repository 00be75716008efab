"""Azure built-in roles and their partner earned credit eligibility, from data/azure_roles.json."""

import json
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "azure_roles.json"


def load_azure_roles(AzureRole):
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    for name in data["eligible"]:
        AzureRole.objects.update_or_create(name=name, defaults={"pec_eligible": True})
    for name in data["not_eligible"]:
        AzureRole.objects.update_or_create(name=name, defaults={"pec_eligible": False})
    return len(data["eligible"]) + len(data["not_eligible"])
