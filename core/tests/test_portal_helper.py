"""core.portal.run_form_action: the portal's form POST (validate, call, refusal beside the field, or redirect
with a message)."""

import pytest
from django import forms
from django.contrib.messages import SUCCESS, get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from core.errors import InvalidInput
from core.portal import run_form_action


class RenameForm(forms.Form):
    friendly_name = forms.CharField(max_length=10)


def post(data):
    request = RequestFactory().post("/rename", data)
    request._messages = CookieStorage(request)
    return request


def page(form):
    response = HttpResponse("page", status=400)
    response.form = form
    return response


def run(request, action, **kwargs):
    kwargs.setdefault("success", lambda name: f"Now called {name}.")
    kwargs.setdefault("redirect_to", lambda name: f"/things/{name}")
    return run_form_action(request, RenameForm(request.POST), action, on_error=page, **kwargs)


def test_success_calls_the_action_with_the_cleaned_data_then_redirects_with_the_message():
    request = post({"friendly_name": "  Prod "})
    calls = []
    response = run(request, lambda data: calls.append(data) or data["friendly_name"], extra_tags="inline")
    assert calls == [{"friendly_name": "Prod"}]
    assert response.status_code == 302 and response["Location"] == "/things/Prod"
    (message,) = get_messages(request)
    assert (message.level, message.message, message.extra_tags) == (SUCCESS, "Now called Prod.", "inline")


def test_plain_success_text_and_url_and_no_message():
    request = post({"friendly_name": "Prod"})
    response = run(request, lambda data: None, success="Saved.", redirect_to="/settings")
    assert response["Location"] == "/settings" and [m.message for m in get_messages(request)] == ["Saved."]
    request = post({"friendly_name": "Prod"})
    assert run(request, lambda data: None, success=None).status_code == 302 and not list(get_messages(request))


def test_an_invalid_form_answers_on_error_without_calling_the_action():
    request = post({"friendly_name": "x" * 11})
    response = run(request, lambda data: pytest.fail("the action ran"))
    assert response.status_code == 400 and "friendly_name" in response.form.errors
    assert not list(get_messages(request))


def test_a_refusal_goes_beside_the_field_it_names():
    def refuse(data):
        raise InvalidInput("The name is taken.", field="friendlyName")

    request = post({"friendly_name": "Prod"})
    response = run(request, refuse)
    assert response.status_code == 400 and response.form.errors == {"friendly_name": ["The name is taken."]}
    assert not list(get_messages(request))


def test_a_refusal_naming_no_field_and_a_validation_error_go_to_the_top():
    def refuse(data):
        raise InvalidInput("Try later.")

    def invalid(data):
        raise ValidationError("Reload the page and choose again.")

    assert run(post({"friendly_name": "Prod"}), refuse).form.non_field_errors() == ["Try later."]
    assert run(post({"friendly_name": "Prod"}), invalid).form.non_field_errors() == [
        "Reload the page and choose again."]


def test_other_exceptions_go_through():
    def missing(data):
        raise Http404

    with pytest.raises(Http404):
        run(post({"friendly_name": "Prod"}), missing)
