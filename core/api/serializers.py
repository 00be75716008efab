from collections.abc import Mapping

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers


class PCSerializer(serializers.Serializer):
    """Input in any casing (`FirstName`, `firstName`, `firstname`); output in camelCase as declared.

    Declare fields with their wire names (`firstName = serializers.CharField(source="first_name")`).
    Unknown properties are ignored, as Partner Center does; known ones of the wrong type are a 400
    naming the field.
    """

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            names = {name.lower(): name for name in self.fields}
            data = {names.get(str(key).lower(), key): value for key, value in data.items()}
        return super().to_internal_value(data)


class PCModelSerializer(PCSerializer, serializers.ModelSerializer):
    pass


class OptionalMethodField(serializers.SerializerMethodField):
    """A method field that Partner Center prints only when it has a value (`associatedPartnerId`,
    `partnerIdOnRecord`): the serializer drops it when the method returns None, and the schema does not list it as
    required (drf-spectacular marks every read-only field required, so this one is not flagged read-only; it is
    never read from input)."""

    def __init__(self, method_name=None, **kwargs):
        super().__init__(method_name, **kwargs)
        self.read_only = False
        self.required = False

    def to_internal_value(self, data):  # never an input
        raise serializers.SkipField()


class AttributesField(serializers.Field):
    """`attributes: {objectType, etag?}` on every resource; `etag=True` adds core.api.etag's etag of the row."""

    def __init__(self, object_type, *, etag=False, **kwargs):
        self.object_type = object_type
        self.with_etag = etag
        kwargs.setdefault("source", "*")
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, instance):
        value = {"objectType": self.object_type}
        if self.with_etag:
            from .etag import etag_for

            value["etag"] = etag_for(instance)
        return value


class AttributesFieldSchema(OpenApiSerializerFieldExtension):
    """The schema of AttributesField: `etag` is documented, and required where the field prints it."""

    target_class = AttributesField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "object",
            "properties": {"objectType": {"type": "string"}, "etag": {"type": "string"}},
            "required": ["objectType", "etag"] if self.target.with_etag else ["objectType"],
        }


class LinkSerializer(serializers.Serializer):
    """Partner Center's Link: a uri relative to /v1, the HTTP method and the headers to send as key/value pairs."""

    uri = serializers.CharField()
    method = serializers.CharField()
    headers = serializers.ListField(child=serializers.DictField())


class SelfLinkSerializer(serializers.Serializer):
    """The links of a resource whose only link is to itself."""

    self = LinkSerializer()


def link(uri, method="GET", headers=None):
    """A Partner Center Link: relative uri without /v1, method, headers as key/value pairs."""
    return {"uri": uri, "method": method, "headers": [{"key": k, "value": v} for k, v in headers.items()] if headers else []}
