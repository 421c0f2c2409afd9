from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from .forms import EmailAuthenticationForm
from .middleware import SESSION_KEY
from .models import Membership


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True


@require_POST
def portal_switch(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    membership = (
        Membership.objects.select_related("portal")
        .filter(user=request.user, portal_id=request.POST.get("portal") or 0)
        .first()
        if str(request.POST.get("portal", "")).isdigit()
        else None
    )
    if membership is None:
        messages.error(request, "You are not a member of that portal.")
    else:
        request.session[SESSION_KEY] = membership.portal_id
        messages.success(request, f"Switched to {membership.portal.name}.")
    return redirect("dashboard")
