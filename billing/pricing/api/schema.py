"""The OpenAPI operations of Partner Center's pricing host routes. Their paths hold OData keys in parentheses
(`pricesheets(Market='US',PricesheetView='azure_consumption')/$value`), which drf-spectacular cannot read from a
Django route, so the views are excluded from discovery and this postprocessing hook writes their operations."""

_ERRORS = {
    "400": "Invalid input (800002): unknown view or timeline, history without month, month not YYYYMM",
    "401": "Missing, invalid, expired or revoked token (800001)",
    "403": "Not Global admin, Admin agent or Sales agent, or an application credential (App only): 2032",
    "404": "No price list (990302) or no exchange rates (990304) for that month",
    "429": "Throttled; see Retry-After",
}


def _operation(operation_id, summary, description, parameters):
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "operationId": operation_id, "summary": summary, "description": description, "tags": ["Pricing"],
        "parameters": [*parameters, {"in": "header", "name": "Accept-Encoding", "required": False,
                                     "schema": {"type": "string"},
                                     "description": "gzip or deflate: the CSV comes compressed (Content-Encoding)"}],
        "security": [{"bearerAuth": []}],
        "responses": {
            "200": {"description": "The CSV in Microsoft's columns, every field quoted, as an attachment (streamed)",
                    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
            **{status: {"description": text, **error} for status, text in _ERRORS.items()},
        },
    }


def _path_param(name, description):
    return {"in": "path", "name": name, "required": True, "schema": {"type": "string"}, "description": description}


def add_pricing_host_routes(result, generator, request, public):
    paths = result.setdefault("paths", {})
    paths["/v1.0/sales/pricesheets(Market='{market}',PricesheetView='{view}')/$value"] = {"get": _operation(
        "pricesheets_value", "Download the Azure plan price sheet of a market (CSV)",
        "get-a-price-sheet (Partner Center's pricing host; change only the host). App+User only.",
        [_path_param("market", "Market, ISO-2 (US)"),
         _path_param("view", "azure_consumption or azure_reservations"),
         {"in": "query", "name": "timeline", "required": False, "schema": {"type": "string",
                                                                           "enum": ["current", "history", "future"]}},
         {"in": "query", "name": "month", "required": False, "schema": {"type": "string"},
          "description": "YYYYMM, required with timeline=history"}])}
    paths["/v1.0/sales/fxrates(Month='{month}')/$value"] = {"get": _operation(
        "fxrates_value", "Download the exchange rates of a month (CSV CurrencyCode, USDPerUnit, Month)",
        "get-foreign-exchange-rates (Partner Center's pricing host). App+User only.",
        [_path_param("month", "YYYYMM")])}
    return result
