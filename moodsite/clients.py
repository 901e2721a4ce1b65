"""Who a request comes from, for every limit the site keeps (uploads, frames, sign-in).

The client is REMOTE_ADDR. X-Forwarded-For is not trusted: clients can forge it.
Behind a proxy, the proxy (or the server in front, e.g. gunicorn's
--forwarded-allow-ips with a middleware of the operator's) must set REMOTE_ADDR
from the real address.
"""


def client_address(request):
    return request.META.get("REMOTE_ADDR", "") or "unknown"
