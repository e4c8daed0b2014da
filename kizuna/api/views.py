from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kizuna.api.errors import error_response


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def api_aware_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return error_response(404)
    return HttpResponse("<h1>Not found</h1>", status=404)


def api_aware_500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return error_response(500)
    return HttpResponse("<h1>Server error</h1><p>It has been logged.</p>", status=500)
