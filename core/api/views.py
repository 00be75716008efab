from rest_framework.views import APIView


class PCAPIView(APIView):
    """Base for /v1/ views: the actor is `request.auth` (set by authentication)."""

    @staticmethod
    def actor(request):
        return request.auth

    @staticmethod
    def if_match(request):
        from .etag import normalise_if_match

        return normalise_if_match(request.headers.get("If-Match"))

    def validated(self, serializer_class, request, **kwargs):
        from core.errors import InvalidInput

        if not isinstance(request.data, dict):
            raise InvalidInput("The request body must be a JSON object.")
        serializer = serializer_class(data=request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
