"""DRF's scoped rate throttles, for the site's own forms (sign-up, password
reset, join codes) as for the API: counted in the Django cache, per account
when signed in and per address otherwise."""

import math
from functools import wraps

from django.shortcuts import render
from rest_framework.throttling import SimpleRateThrottle


class ScopeThrottle(SimpleRateThrottle):
    def __init__(self, scope):
        self.scope = scope
        super().__init__()

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        ident = user.pk if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def throttle_posts(scope, message):
    """Decorate a view: its POSTs beyond the scope's rate get a 429 with Retry-After."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                throttle = ScopeThrottle(scope)
                if not throttle.allow_request(request, None):
                    wait = max(1, math.ceil(throttle.wait() or 1))
                    response = render(request, "429.html", {"message": message, "wait": wait},
                                      status=429)
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
