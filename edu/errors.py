"""Errors answer in the client's language: JSON under /api/, the site's pages
elsewhere, and never a 500 for bad input."""

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults
from rest_framework.views import exception_handler


def is_api(request):
    return request.path.startswith("/api/")


def error_response(request, message, status):
    if is_api(request):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "400.html", {"message": message}, status=status)


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        return JsonResponse({"detail": "The request body is too large (at most 1 MiB)."},
                            status=413)
    return exception_handler(exc, context)


def bad_request(request, exception):
    if isinstance(exception, RequestDataTooBig):
        return error_response(request, "The request body is too large (at most 1 MiB).", 413)
    if is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api(request):
        return JsonResponse({"detail": "You do not have permission to do this."}, status=403)
    return defaults.permission_denied(request, exception)


def not_found(request, exception):
    if is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return JsonResponse({"detail": "Server error. The error has been logged."}, status=500)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    if is_api(request):
        return JsonResponse({"detail": f"CSRF failed: {reason}"}, status=403)
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason)

