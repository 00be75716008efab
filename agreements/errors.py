"""The agreements app's errors (every `PartnerCenterError` subclass of the app lives here)."""

from core.errors import InvalidInput, PartnerCenterError


class AgreementAlreadyExists(PartnerCenterError):
    status = 409
    code = 600061
    error_name = "PartnerConfirmedAgreementAlreadyExists"


class McaMissing(PartnerCenterError):
    status = 403
    code = 13605
    error_name = "CustomerAgreementNotConfirmed"


class DateAgreedInvalid(InvalidInput):
    """400 / 800002 on dateAgreed; `for_person` says the same for the portal page, in words for a person."""

    def __init__(self, description, *, for_person):
        super().__init__(description, field="dateAgreed")
        self.for_person = for_person
