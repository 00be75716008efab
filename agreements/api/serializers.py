"""Partner Center's AgreementMetaData, Agreement and DirectSignedCustomerAgreementStatus on the wire."""

from rest_framework import serializers

from core.api.serializers import AttributesField, PCSerializer


class AgreementMetaDataSerializer(serializers.Serializer):
    templateId = serializers.UUIDField(source="template_id")
    agreementType = serializers.CharField(source="agreement_type")
    agreementLink = serializers.URLField(source="agreement_link")
    versionRank = serializers.IntegerField(source="version_rank")
    attributes = AttributesField("AgreementMetaData")


class AgreementDocumentSerializer(serializers.Serializer):
    displayUri = serializers.URLField()
    downloadUri = serializers.URLField()
    language = serializers.CharField()
    country = serializers.CharField()


class AgreementContactSerializer(serializers.Serializer):
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")
    email = serializers.EmailField()
    phoneNumber = serializers.CharField(source="phone_number")


class StoredDateTimeField(serializers.DateTimeField):
    """Renders any datetime the database hands back: one at the edge of Python's range (year 1 or 9999) can fail to
    convert to the current time zone, and is then given as stored, in UTC."""

    def to_representation(self, value):
        try:
            return super().to_representation(value)
        except (OverflowError, ValueError):
            return value.isoformat().replace("+00:00", "Z")


class AgreementSerializer(serializers.Serializer):
    userId = serializers.SerializerMethodField(help_text="Public id of the partner user who confirmed it "
                                                         "(null for the customer's own acceptance)")
    primaryContact = AgreementContactSerializer(source="*")
    templateId = serializers.UUIDField(source="template.template_id")
    dateAgreed = StoredDateTimeField(source="date_agreed")
    type = serializers.CharField(source="agreement_type")
    agreementLink = serializers.URLField(source="template.agreement_link")
    attributes = AttributesField("Agreement")

    def get_userId(self, obj) -> str | None:
        return str(obj.attested_by.public_id) if obj.attested_by_id else None


class DirectSignedStatusSerializer(serializers.Serializer):
    isSigned = serializers.BooleanField()


def _text():
    return serializers.CharField(required=False, allow_blank=True, allow_null=True)


class AgreementContactInputSerializer(PCSerializer):
    firstName = _text()
    lastName = _text()
    email = _text()
    phoneNumber = _text()


class AgreementCreateSerializer(PCSerializer):
    primaryContact = AgreementContactInputSerializer()
    templateId = _text()
    dateAgreed = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                       help_text="The day the customer accepted (UTC), not in the future")
    type = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                 help_text="MicrosoftCustomerAgreement (the default)")
