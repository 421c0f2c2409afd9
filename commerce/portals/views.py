"""Sign-in, the portal switcher and accepting an invitation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import selectors
from .forms import EmailAuthenticationForm
from .middleware import SESSION_KEY
from .models import Membership


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True


@require_POST
def portal_switch(request: HttpRequest) -> HttpResponse:
    """Makes another of the user's portals the active one. A portal the user is not a
    member of changes nothing."""
    if not request.user.is_authenticated:
        return redirect("login")
    wanted = str(request.POST.get("portal", ""))
    membership = (
        selectors.user_membership(user_id=request.user.pk, portal_id=int(wanted))
        if wanted.isdigit()
        else None
    )
    if membership is None:
        messages.error(request, "You are not a member of that portal.")
    else:
        request.session[SESSION_KEY] = membership.portal_id
        messages.success(request, f"Switched to {membership.portal.name}.")
    return redirect("dashboard")


class InviteAcceptView(auth_views.PasswordResetConfirmView):
    """The link of an invitation e-mail: choose a password, get signed in, land on the
    dashboard of the portal that invited you. Uses Django's password-reset tokens, so
    the link stops working once a password is set or after PASSWORD_RESET_TIMEOUT."""

    template_name = "portals/invite_accept.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"

    def _membership(self) -> Membership | None:
        user = getattr(self, "user", None)
        if user is None:
            return None
        return selectors.invitation_membership(
            user_id=user.pk, portal_public_id=self.kwargs["portal_id"]
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["invitation"] = self._membership()
        context["invited_user"] = getattr(self, "user", None)
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        membership = self._membership()
        response = super().form_valid(form)
        if membership is not None:
            self.request.session[SESSION_KEY] = membership.portal_id
            messages.success(self.request, f"Welcome to {membership.portal.name}.")
        return response

    def get_success_url(self) -> str:
        return reverse("dashboard")
