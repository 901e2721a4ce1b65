"""The limits on face readings: photos per address, and readings of any kind
(photos and live frames) per address. Budgets shared by every worker and
server (moodsite.budget)."""

import math

from django.conf import settings

from moodsite.budget import TokenBucket
from moodsite.clients import client_address

THROTTLED_MESSAGE = (
    "That's a lot of photos in a short time. Please wait a minute and try again."
)


def photo_budget():
    limit = settings.ANALYSES_PER_MINUTE
    return TokenBucket("analyses", rate=limit / 60, burst=limit) if limit > 0 else None


def address_budget():
    rate = settings.ADDRESS_READINGS_PER_SECOND
    if rate <= 0:
        return None
    return TokenBucket("readings", rate=rate, burst=settings.ADDRESS_READINGS_BURST)


def reading_wait(request, *budgets):
    """Spend one reading of each budget for the client: 0 when allowed, else the
    whole seconds to wait (for Retry-After). A refusal spends no more."""
    address = client_address(request)
    for budget in budgets:
        if budget is None:
            continue
        wait = budget.take(address)
        if wait:
            return max(1, math.ceil(wait))
    return 0


def analysis_wait(request):
    """A photo: the photo budget, then the address's budget of readings."""
    return reading_wait(request, photo_budget(), address_budget())
