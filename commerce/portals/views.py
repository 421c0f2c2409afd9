"""Sign-in, the portal switcher and accepting an invitation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from commerce import ids

from . import selectors
from .forms import EmailAuthenticationForm, QueuedPasswordResetForm
from .limits import Limited, email_link_limit
from .middleware import SESSION_KEY
from .models import Membership


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited per client address and per e-mail address. Over
    the e-mail's limit the page reads as always and nothing is sent, so the answer never
    tells whether the address has an account."""

    form_class = QueuedPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        limited = email_link_limit(
            kind="password-reset", request=self.request, recipient=form.cleaned_data["email"]
        )
        if limited is Limited.CLIENT:
            form.add_error(
                None,
                "Too many requests from your network in the last hour. "
                "Try again later, or ask the person who runs this hub.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        if limited is Limited.RECIPIENT:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


@require_POST
def portal_switch(request: HttpRequest) -> HttpResponse:
    """Makes another of the user's portals the active one. A portal the user is not a
    member of changes nothing."""
    if not request.user.is_authenticated:
        return redirect("login")
    wanted = ids.parse_id(request.POST.get("portal"))
    membership = (
        selectors.user_membership(user_id=request.user.pk, portal_id=wanted)
        if wanted is not None
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
