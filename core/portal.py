"""The portal's form POST in one place: bind, validate, call the service, show a refusal beside its field, or
redirect with a message (post/redirect/get).

A view looks its rows up and checks the role first (a foreign id answers 404 whatever the roles, then the 403
page naming the roles), then hands the rest to `run_form_action`::

    return run_form_action(
        request, RenameForm(request.POST),
        lambda data: services.thing_rename(actor=request.actor, thing=thing, name=data["name"]),
        success=lambda thing: _("It is now called “%(name)s”.") % {"name": thing.name},
        redirect_to=lambda thing: reverse("thing_detail", args=[thing.public_id]),
        on_error=lambda form: render_thing_page(request, thing, form=form, status=400),
    )
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from core.errors import PartnerCenterError
from core.forms import apply_error


def _value(value, result):
    return value(result) if callable(value) else value


def run_form_action(request, form, action, *, success, redirect_to, on_error, extra_tags=""):
    """Validate `form`, then call `action(form.cleaned_data)` (the service call; what it returns is the result).

    - the form is invalid, or the action raises a PartnerCenterError (shown beside the field it names,
      core.forms.apply_error) or a ValidationError (shown at the top of the form): `on_error(form)`, the
      page again with the bound form;
    - else `success` (text, or `result -> text`; None: no message) becomes a success message with
      `extra_tags`, and the answer redirects to `redirect_to` (URL or view name, or `result -> URL`).

    Anything else the action raises (Http404, another exception) goes through untouched.
    """
    if form.is_valid():
        try:
            result = action(form.cleaned_data)
        except PartnerCenterError as exc:
            apply_error(form, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            text = _value(success, result)
            if text:
                messages.success(request, text, extra_tags=extra_tags)
            return redirect(_value(redirect_to, result))
    return on_error(form)
