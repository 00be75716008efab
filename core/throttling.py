"""Throttling helpers shared by the portal and the API: who the client is."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's IP address. With `NUM_PROXIES` trusted proxies in front (each appending to
    X-Forwarded-For), it is the address the outermost of them saw; else REMOTE_ADDR. A forged or
    garbled header never yields something that is not an IP address."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "NUM_PROXIES", 0)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            candidate = forwarded[-min(proxies, len(forwarded))]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote
