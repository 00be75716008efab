import pytest

pytestmark = pytest.mark.django_db


def test_schema_documents_every_v1_route_with_error_responses(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for route in ("/v1/users", "/v1/users/{user_id}", "/v1/apitokens", "/v1/profiles/organization",
                  "/v1/auditrecords", "/v1/jobs/{job_id}"):
        assert route in paths, route
    for route, operations in paths.items():
        for method, operation in operations.items():
            assert "401" in operation["responses"], f"{method} {route} documents no 401"
    assert "bearerAuth" in schema["components"]["securitySchemes"]


def test_browsable_api_docs_are_served_without_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn." not in html and "/static/drf_spectacular_sidecar/" in html
