"""Who a request comes from, for every limit the site keeps (uploads, frames, sign-in).

The client is REMOTE_ADDR. X-Forwarded-For is not trusted: clients can forge it.
Behind a proxy, the proxy (or the server in front, e.g. gunicorn's
--forwarded-allow-ips with a middleware of the operator's) must set REMOTE_ADDR
from the real address.
"""

import ipaddress


def client_address(request):
    """A key for the client's budgets: its address, or "unknown"."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def client_ip(request):
    """The client's IP address where a record stores one (django-axes's sign-in
    log, an IP column on PostgreSQL), or None when the server gave none (a unix
    socket, a request made in code): "unknown" is not an address to store."""
    try:
        return str(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return None
