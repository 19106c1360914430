"""The links of every page's frame (templates/base.html), reversed once per
process: the site's URLs and static file names do not change while it runs,
and reversing them on every page cost a fifth of a lesson page's CPU."""

import functools

from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse


@functools.cache
def _frame(script_prefix, urlconf):
    return {
        "home": reverse("courses:home"),
        "dashboard": reverse("courses:dashboard"),
        "teach": reverse("courses:teach"),
        "account": reverse("account"),
        "authoring": reverse("admin:index"),
        "login": reverse("login"),
        "logout": reverse("logout"),
        "signup": reverse("signup"),
        "css": static("css/site.css"),
        "favicon": static("favicon.svg"),
    }


def frame(request):
    return {"frame": _frame(get_script_prefix(), get_urlconf())}
