"""Rate limiting per client identity and route group (the route's scope), default 100/minute.

Never Litestar's ``RateLimitConfig`` (design section 9): it re-encodes every timestamp of a
client's window on each request. Here one request is one O(1) counter update in the store.
"""

from .client_ip import ClientAddressResolver
from .policy import Rate, RatePolicy, parse_rate
from .service import Quota, RateLimiter

__all__ = ["ClientAddressResolver", "Quota", "Rate", "RateLimiter", "RatePolicy", "parse_rate"]
