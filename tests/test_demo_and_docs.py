"""Demo data, `make run`'s console and the docs tell the truth; country lists sort by the language's collation."""

import importlib.util
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

from accounts.choices import Role
from accounts.demo import DEMO_PASSWORD, load_demo
from accounts.models import Country, User
from accounts.selectors import collation_key, countries_by_name

ROOT = Path(__file__).resolve().parent.parent


def _run_script():
    spec = importlib.util.spec_from_file_location("make_run_script_sweep", ROOT / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- demo users


@pytest.mark.django_db
def test_every_demo_organisation_has_a_global_admin_who_is_also_admin_agent():
    for org, emails in load_demo():
        both = [email for email in emails
                if {Role.GLOBAL_ADMIN.value, Role.ADMIN_AGENT.value} <= set(User.objects.get(email=email).roles)]
        assert both, org.name
    user = User.objects.get(email="global-admin-agent@direct.example.com")
    assert user.check_password(DEMO_PASSWORD) and user.is_active
    load_demo()  # idempotent
    assert User.objects.filter(email="global-admin-agent@direct.example.com").count() == 1


def test_readme_cancel_step_names_that_user():
    readme = (ROOT / "README.md").read_text()
    step = readme[readme.index("cancelling one"):][:300]
    assert "global-admin-agent@direct.example.com" in step


# ---------------------------------------------------------------- make run prints the sign-ins last


def test_sign_ins_come_after_the_childrens_output():
    """A child that prints 220 lines of e-mail over a second: the relay waits until it has gone quiet, and what
    is written next (the sign-ins) is the last thing on the console."""
    run = _run_script()
    out = io.StringIO()
    relay = run.OutputRelay(out=out)
    chatter = ("import time\nfor i in range(220):\n    print(f'mail line {i}', flush=True)\n"
               "    time.sleep(0.004 if i % 50 else 0.3)\n")
    child = subprocess.Popen([sys.executable, "-c", chatter], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, bufsize=1)
    thread = relay.follow(child.stdout)
    assert relay.wait_quiet(quiet=0.8, timeout=30, poll=0.05)
    relay.write("Demo sign-ins\n")
    child.wait(timeout=10)
    thread.join(timeout=10)
    lines = out.getvalue().splitlines()
    assert len(lines) == 221 and lines[-1] == "Demo sign-ins"


def test_a_child_slow_to_start_is_not_silence():
    """The worker needs seconds to start on a busy machine: the sign-ins wait for its ready line, then the quiet."""
    run = _run_script()
    out = io.StringIO()
    relay = run.OutputRelay(out=out)
    relay.expect(" ready.")
    slow = ("import time\ntime.sleep(1.5)\nprint('celery@host ready.', flush=True)\n"
            "for i in range(5):\n    print(f'mail line {i}', flush=True)\n    time.sleep(0.1)\n")
    child = subprocess.Popen([sys.executable, "-c", slow], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, bufsize=1)
    thread = relay.follow(child.stdout)
    assert relay.wait_quiet(quiet=0.5, timeout=30, poll=0.05)
    relay.write("Demo sign-ins\n")
    child.wait(timeout=10)
    thread.join(timeout=10)
    lines = out.getvalue().splitlines()
    assert lines[0] == "celery@host ready." and lines[-1] == "Demo sign-ins" and len(lines) == 7


def test_wait_quiet_gives_up_when_asked_to_stop():
    run = _run_script()
    relay = run.OutputRelay(out=io.StringIO())
    assert relay.wait_quiet(quiet=60, timeout=60, poll=0.01, stop=lambda: True) is False


def test_run_prints_the_sign_ins_through_the_relay():
    source = (ROOT / "scripts" / "run.py").read_text()
    main = source[source.index("def main():"):]
    assert main.index("relay.wait_quiet(") < main.index("relay.write(demo")
    assert "print(demo" not in main


# ---------------------------------------------------------------- the docs


def test_readme_does_not_claim_make_run_turns_debug_on():
    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `DJANGO_DEBUG`"))
    run = (ROOT / "scripts" / "run.py").read_text() + (ROOT / "Makefile").read_text()
    if "DJANGO_DEBUG" not in run:
        assert "sets `true`" not in row


def test_operations_states_the_measured_batch_time():
    text = (ROOT / "docs" / "operations.md").read_text()
    sentence = text[text.index("bench_transition.py"):][:400]
    assert "minute and a half" not in sentence and re.search(r"98 to 244 seconds", sentence)


# ---------------------------------------------------------------- collation


def test_collation_key_ignores_accents_and_case():
    names = ["Tchéquie", "Îles Åland", "Italie", "Åland Islands", "Zambie", "estonie", "Égypte", "Autriche"]
    assert sorted(names, key=collation_key) == ["Åland Islands", "Autriche", "Égypte", "estonie", "Îles Åland",
                                                "Italie", "Tchéquie", "Zambie"]


@pytest.mark.django_db
def test_country_lists_sort_by_the_languages_collation():
    europe = Country.objects.filter(region__countries__code="CZ").distinct()
    with translation.override("fr"):
        names = [c.localized_name for c in countries_by_name(europe)]
        assert names.index("Îles Åland") < names.index("Tchéquie")
        assert names.index("Îles Åland") < names.index("Italie")
    with translation.override("en"):
        names = [c.localized_name for c in countries_by_name(europe)]
        assert names[0] == "Åland Islands"


@pytest.mark.django_db
def test_the_customer_form_lists_countries_in_french_order(make_org):
    from accounts.selectors import market_countries

    partner = make_org(country=Country.objects.get(code="FR"))
    with translation.override("fr"):
        names = [c.localized_name for c in market_countries(organisation=partner)]
    assert names.index("Îles Åland") < names.index("Tchéquie")
    assert names == sorted(names, key=collation_key)
