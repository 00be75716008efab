"""core.api.sql_json: the JSON PostgreSQL writes is the renderer's, byte for byte."""

import json
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, IntegerField, TextField, UUIDField, Value

from core.api.renderers import PartnerCenterJSONRenderer
from core.api.sql_json import IfNotNull, Text, json_text

pytestmark = pytest.mark.django_db


def _written(template):
    """The text PostgreSQL writes for `template` (over one row of a small table)."""
    return ContentType.objects.order_by("pk").annotate(j=json_text(template)).values_list("j", flat=True)[0]


def _rendered(data):
    return PartnerCenterJSONRenderer().render(data).decode()


def test_any_text_is_escaped_as_the_renderer_escapes_it():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    # Any Unicode text PostgreSQL can hold (no NUL, no lone surrogate).
    texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))

    @settings(max_examples=150, deadline=None)
    @given(texts, texts)
    def check(value, literal):
        written = _written({"v": Text(Value(value, output_field=TextField())),
                            "u": Text(literal or "-", Value(value, output_field=TextField()), literal)})
        # The renderer escapes U+2028 / U+2029 over the whole answer, the SQL text included.
        assert _rendered(json.loads(written)) == _rendered({"v": value, "u": (literal or "-") + value + literal})
        assert written.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") == _rendered(
            {"v": value, "u": (literal or "-") + value + literal})

    check()


def test_constants_keys_nesting_and_nulls():
    some_id = uuid.UUID("6f2a1c3e-0000-4000-8000-00000000abcd")
    template = {
        "code": Text("app_label"),
        'we"ird\\key\u2028%s': [1, 2.5, None, True, {"deep": [Text("app_label"), "x'y%"]}],
        "id": Text(Value(some_id, output_field=UUIDField())),
        "uri": Text("/things/", Value(some_id, output_field=UUIDField()), "/x y"),
        "number": Text(Value(42, output_field=IntegerField())),
        "null": Text(Value(None, output_field=TextField())),
        "absent": IfNotNull(Text(Value(None, output_field=TextField()))),
        "present": IfNotNull(Text(F("model"))),
        "last": {},
    }
    row = ContentType.objects.order_by("pk").first()
    expected = {"code": row.app_label, 'we"ird\\key\u2028%s': [1, 2.5, None, True, {"deep": [row.app_label, "x'y%"]}],
                "id": str(some_id), "uri": f"/things/{some_id}/x y", "number": "42", "null": None,
                "present": row.model, "last": {}}
    written = _written(template)
    assert written.replace("\u2028", "\\u2028") == _rendered(expected)


def test_an_optional_key_cannot_come_first_and_keys_are_text():
    with pytest.raises(ValueError):
        json_text({"a": IfNotNull(Text("model"))})
    with pytest.raises(TypeError):
        json_text({1: "x"})
    with pytest.raises(TypeError):
        IfNotNull("model")


def test_it_binds_no_parameter():
    queryset = ContentType.objects.filter(app_label="customers", model="customer").values(
        "model", j=json_text({"a": Text("app_label"), "b": "%s"}))
    _sql, params = queryset.query.get_compiler("default").as_sql()
    assert list(params) == ["customers", "customer"]
    assert json.loads(queryset.get()["j"]) == {"a": "customers", "b": "%s"}
