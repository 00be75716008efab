"""templates/inc/address_fields.html: the billing address fields once, in the customer create, billing profile
and public invitation forms."""

import re

import pytest
from django.template.loader import get_template, render_to_string

from accounts.models import Country
from customers.forms import AddressFields

ADDRESS = ["country", "address_line1", "address_line2", "city", "state", "postal_code"]


def names(html):
    return [n for n in re.findall(r'name="([a-z_0-9]+)"', html) if n in ADDRESS]


@pytest.mark.django_db
def test_the_include_shows_each_address_field_with_its_error_beside_it():
    form = AddressFields({"country": "US", "address_line1": "", "city": "x" * 101},
                         countries=Country.objects.filter(code="US"))
    assert not form.is_valid()
    html = render_to_string("inc/address_fields.html", {"form": form, "fieldset_class": "col-lg-6"})
    assert '<fieldset class="col-lg-6">' in html and "Billing address" in html
    assert names(html) == ADDRESS
    assert 'data-field-error="address_line1"' in html and 'data-field-error="city"' in html
    assert 'data-field-error="country"' not in html
    assert '<option value="US" selected>' in html

    grid = render_to_string("inc/address_fields.html", {"form": form, "fieldset_class": "mb-2", "grid": True})
    assert grid.count('class="col-md-6"') == 6
    assert names(grid) == ["country", "city", "address_line1", "address_line2", "state", "postal_code"]


def test_the_three_customer_forms_include_it():
    for template in ("customers/customer_create.html", "customers/customer_billing.html", "customers/invitation.html"):
        text = get_template(template).template.source
        assert text.count('{% include "inc/address_fields.html"') == 1, template
        assert "form.address_line1" not in text, template
