from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from edu.throttling import throttle_posts

from .forms import SignUpForm


@throttle_posts("signup", "Too many sign-ups from your address.")
def signup(request):
    if request.user.is_authenticated:
        return redirect("courses:dashboard")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(next_url or "courses:dashboard")
    return render(request, "registration/signup.html", {"form": form, "next": next_url})
