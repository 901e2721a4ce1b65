"""Who a request comes from, for every limit the site keeps (uploads, frames, sign-in).

The client is REMOTE_ADDR, unless REMOTE_ADDR is one of TRUSTED_PROXIES (a
balancer in front, e.g. deploy/nginx.conf.template): then it is the address
that proxy put in X-Forwarded-For, read from the right and skipping trusted
proxies, so what a client writes there itself (the left end) is never taken.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


def client_address(request):
    """A key for the client's budgets: its address, or "unknown"."""
    remote = request.META.get("REMOTE_ADDR", "")
    if _trusted(remote):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        for hop in reversed([part.strip() for part in forwarded.split(",")]):
            if not _is_ip(hop):
                break  # a mangled header: go no further left than a proxy wrote
            if not _trusted(hop):
                return hop
    return remote or "unknown"


def client_ip(request):
    """The client's IP address where a record stores one (django-axes's sign-in
    log, an IP column on PostgreSQL), or None when the server gave none (a unix
    socket, a request made in code): "unknown" is not an address to store."""
    address = client_address(request)
    return address if _is_ip(address) else None


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _trusted(address):
    if not _is_ip(address):
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


@lru_cache(maxsize=4)
def _networks(proxies):
    return [ipaddress.ip_network(proxy, strict=False) for proxy in proxies]
