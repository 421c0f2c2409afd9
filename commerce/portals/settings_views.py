from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .access import portal_view
from .models import Portal


@portal_view("settings.view")
def settings_index(request: HttpRequest) -> HttpResponse:
    return render(request, "portals/settings_index.html")


@require_GET
def portal_logo(request: HttpRequest, public_id) -> HttpResponse:
    """Public: the logo shows on buyer pages too. Served from the database so a
    deployment needs no shared media volume."""
    portal = Portal.objects.filter(public_id=public_id).only("logo", "logo_content_type").first()
    if portal is None or not portal.logo_content_type:
        raise Http404("No logo")
    response = HttpResponse(bytes(portal.logo), content_type=portal.logo_content_type)
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
