from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from edu.throttling import throttle_posts

from . import selectors, services
from .forms import AccountForm, DeleteAccountForm, SignUpForm


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
        login(request, user, backend="edu.accounts.backends.CachedModelBackend")
        return redirect(next_url or "courses:dashboard")
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


@login_required
def account(request):
    form = AccountForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your account is saved.")
        return redirect("account")
    tokens = selectors.live_tokens(request.user)
    return render(request, "registration/account.html", {"form": form, "tokens": tokens},
                  status=400 if form.errors else 200)


@require_POST
@login_required
def revoke_token(request, token_id):
    if services.revoke_token(user=request.user, key=token_id):
        messages.success(request, "The API token is revoked.")
    else:
        messages.error(request, "No such token: it may have expired or been revoked already.")
    return redirect("account")


@login_required
def download_data(request):
    response = JsonResponse(services.export_data(request.user), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = (
        f'attachment; filename="my-data-{request.user.username}.json"'
    )
    return response


@login_required
def delete_account(request):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.delete_account(user=request.user)
        logout(request)
        messages.success(request, "Your account and its records are deleted.")
        return redirect("courses:home")
    return render(request, "registration/account_delete.html", {"form": form},
                  status=400 if form.errors else 200)
