"""Project-level pages: the dashboard, health check and error pages."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control

from commerce.portals.access import current_portal, portal_view
from commerce.selectors import dashboard_summary


@portal_view("dashboard.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    return render(request, "dashboard.html", {"summary": dashboard_summary(portal=portal)})


def ping(request: HttpRequest) -> HttpResponse:
    """Liveness: answers without touching the database (also the benchmarks' baseline)."""
    return HttpResponse("ok", content_type="text/plain")


@cache_control(max_age=24 * 3600, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links. A temporary redirect: the
    icon's static name changes with its content when STATIC_MANIFEST is on."""
    return HttpResponseRedirect(static("favicon.svg"))


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)
