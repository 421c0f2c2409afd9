"""The settings area: an overview, portal details and branding, and the team. The
Stripe connection and webhook events live in the payments app; the overview links
there. Everyone in the portal can look; only super admins change things
(`portal.edit`, `users.manage`), and their POSTs are refused with a 403 for everyone
else."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .access import (
    current_membership,
    current_portal,
    has_permission,
    portal_view,
    require_permission,
)
from .forms import InviteForm, LogoForm, PortalForm, RoleForm, role_options, time_zone_label
from .http import AuthenticatedHttpRequest
from .limits import Limited, email_link_limit
from .logos import MAX_LOGO_BYTES
from .models import Membership
from .settings_cards import settings_cards


@portal_view("settings.view")
def settings_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    portal = current_portal(request)
    return render(
        request,
        "portals/settings_index.html",
        {
            "team": selectors.team_summary(portal=portal),
            "time_zone": time_zone_label(portal.time_zone),
            # The Stripe connection and webhook events: the payments app registers them.
            "cards": settings_cards(portal=portal, membership=request.membership),
            "tab": "index",
        },
    )


# --- Portal & branding -------------------------------------------------------------


def _portal_page(
    request: AuthenticatedHttpRequest,
    *,
    form: PortalForm | None = None,
    logo_form: LogoForm | None = None,
    status: int = 200,
) -> HttpResponse:
    portal = current_portal(request)
    return render(
        request,
        "portals/settings_portal.html",
        {
            "form": form or PortalForm(initial=PortalForm.initial_for(portal)),
            "logo_form": logo_form or LogoForm(),
            "can_edit": has_permission(request, "portal.edit"),
            "max_logo_kb": MAX_LOGO_BYTES // 1024,
            "time_zone": time_zone_label(portal.time_zone),
            "tab": "portal",
        },
        status=status,
    )


@portal_view("settings.view")
def portal_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _portal_page(request)
    require_permission(request, "portal.edit")
    form = PortalForm(request.POST)
    if form.is_valid():
        try:
            services.portal_update_branding(portal=current_portal(request), **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Portal settings saved.")
            return redirect("settings:portal")
    return _portal_page(request, form=form, status=400)


@portal_view("portal.edit")
@require_POST
def portal_logo_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    logo_form = LogoForm(request.POST, request.FILES)
    if logo_form.is_valid():
        try:
            services.portal_set_logo(
                portal=current_portal(request), content=logo_form.cleaned_data["logo"]
            )
        except services.PortalError as exc:
            logo_form.add_error("logo", exc.message)
        else:
            messages.success(request, "Logo uploaded.")
            return redirect("settings:portal")
    return _portal_page(request, logo_form=logo_form, status=400)


@portal_view("portal.edit")
@require_POST
def portal_logo_remove(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.portal_remove_logo(portal=current_portal(request))
    messages.success(request, "Logo removed. Your portal shows its initial instead.")
    return redirect("settings:portal")


@require_GET
def portal_logo(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Public: the logo shows on buyer pages and in e-mails too. Served from the
    database so a deployment needs no shared media volume."""
    portal = selectors.portal_with_logo(public_id=public_id)
    if portal is None or not portal.logo_content_type or portal.logo is None:
        raise Http404("No logo")
    response = HttpResponse(bytes(portal.logo), content_type=portal.logo_content_type)
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Team --------------------------------------------------------------------------


@portal_view("settings.view")
def team(request: AuthenticatedHttpRequest) -> HttpResponse:
    portal = current_portal(request)
    members = [
        {"m": m, "pending": selectors.membership_is_pending(m)}
        for m in selectors.membership_list(portal=portal)
    ]
    return render(
        request,
        "portals/settings_team.html",
        {
            "members": members,
            "can_manage": has_permission(request, "users.manage"),
            "roles": role_options(),
            "tab": "team",
        },
    )


def _invitation_refusal(request: AuthenticatedHttpRequest, email: str) -> str:
    """Counts one invitation e-mail to `email`; the refusal to show when over a limit."""
    limited = email_link_limit(kind="invitation", request=request, recipient=email)
    if limited is Limited.CLIENT:
        return "Too many invitations from your network in the last hour. Try again later."
    if limited is Limited.RECIPIENT:
        return f"Too many e-mails to {email} in the last hour. Try again later."
    return ""


def _invite_page(request: AuthenticatedHttpRequest, form: InviteForm, status: int) -> HttpResponse:
    return render(
        request,
        "portals/settings_invite.html",
        {"form": form, "roles": role_options(), "tab": "team"},
        status=status,
    )


@portal_view("users.manage")
def team_invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if refusal := _invitation_refusal(request, form.cleaned_data["email"]):
            form.add_error(None, refusal)
            return _invite_page(request, form, status=429)
        try:
            membership = services.membership_invite(
                portal=current_portal(request),
                invited_by=current_membership(request).user,
                **form.cleaned_data,
            )
        except services.PortalError as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(
                request,
                f"{membership.user.email} was added as {membership.get_role_display()} "
                "and will get an e-mail.",
            )
            return redirect("settings:team")
    return _invite_page(request, form, status=400 if form.is_bound else 200)


def _member(request: AuthenticatedHttpRequest, pk: int) -> Membership:
    return selectors.membership_get(portal=current_portal(request), pk=pk)


@portal_view("users.manage")
@require_POST
def member_role(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    membership = _member(request, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return redirect("settings:team")
    try:
        updated = services.membership_change_role(
            membership=membership, role=form.cleaned_data["role"]
        )
    except services.PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{updated.user} is now {updated.get_role_display()}.")
    return redirect("settings:team")


@portal_view("users.manage")
@require_POST
def member_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    membership = _member(request, pk)
    try:
        services.membership_remove(membership=membership)
    except services.PortalError as exc:
        messages.error(request, exc.message)
        return redirect("settings:team")
    if membership.user_id == request.user.pk:
        messages.success(request, f"You left {membership.portal.name}.")
        return redirect("dashboard")
    messages.success(request, f"{membership.user} was removed from {membership.portal.name}.")
    return redirect("settings:team")


@portal_view("users.manage")
@require_POST
def member_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    membership = _member(request, pk)
    if refusal := _invitation_refusal(request, membership.user.email):
        messages.error(request, refusal)
        return redirect("settings:team")
    try:
        services.membership_resend_invitation(membership=membership)
    except services.PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"A new invitation is on its way to {membership.user.email}.")
    return redirect("settings:team")
