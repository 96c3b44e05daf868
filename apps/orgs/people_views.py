"""Pages for people: joining by link, sign-up, profile, password change and
reset, and a new organisation. Thin: the work is in apps/orgs/people.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods

from apps.core.slugs import slug_validator
from apps.orgs import people, selectors, services
from apps.orgs.lockout import client_ip
from apps.orgs.models import Organization

AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="For password resets. Optional.")

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "email")


def _sign_up(request: HttpRequest) -> tuple[SignUpForm, User | None]:
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        return form, form.save()
    return form, None


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link: signed in, join with one click; signed out, sign up
    here (unless sign-up is closed) or sign in and come back."""
    try:
        link = people.invite_link_find(token=token)
    except people.LinkUnusable as e:
        return render(request, "orgs/join.html", {"problem": str(e)}, status=410)
    can_sign_up = settings.CAIRN_SIGNUP != "closed"
    form = None
    if request.method == "POST":
        try:
            with transaction.atomic():
                if request.user.is_authenticated:
                    user: User = request.user
                elif can_sign_up:
                    form, new_user = _sign_up(request)
                    if new_user is None:
                        raise _FormInvalid
                    user = new_user
                else:
                    return redirect(f"{reverse('login')}?next={request.path}")
                m = people.invite_link_use(token=token, user=user)
        except _FormInvalid:
            pass
        except people.LinkUnusable as e:
            return render(request, "orgs/join.html", {"problem": str(e)}, status=410)
        else:
            if not request.user.is_authenticated:
                login(request, user, backend=AUTH_BACKEND)
            messages.success(request, f"You joined {m.organization.name} as {m.role}.")
            return redirect("org-home", org=m.organization.slug)
    elif not request.user.is_authenticated and can_sign_up:
        form = SignUpForm()
    return render(request, "orgs/join.html", {"link": link, "form": form, "can_sign_up": can_sign_up},
                  status=400 if form is not None and form.errors else 200)


class _FormInvalid(Exception):
    pass


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if settings.CAIRN_SIGNUP != "open":
        return render(request, "orgs/signup.html", {"closed": True}, status=403)
    if request.user.is_authenticated:
        return redirect("home")
    form, user = _sign_up(request)
    if user is not None:
        login(request, user, backend=AUTH_BACKEND)
        return redirect("home")
    return render(request, "orgs/signup.html", {"form": form}, status=400 if form.errors else 200)


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    default_organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), required=False, empty_label="(the first I joined)",
        help_text="Where the start page takes you.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["default_organization"]
        field.queryset = Organization.objects.filter(memberships__user=user).order_by("slug")  # type: ignore[attr-defined]
        field.label_from_instance = lambda o: o.slug  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    initial = {
        "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
        "default_organization": selectors.user_profile_default_org(user=user),
    }
    form = ProfileForm(request.POST if request.method == "POST" else None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user.first_name, user.last_name, user.email = data["first_name"], data["last_name"], data["email"]
        user.save(update_fields=["first_name", "last_name", "email"])
        people.profile_default_org_set(user=user, org=data["default_organization"])
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return render(request, "orgs/profile.html", {"form": form}, status=400 if form.errors else 200)


class OrgCreateForm(forms.Form):
    slug = forms.CharField(
        max_length=64, label="Short name", help_text="In its pages' addresses: letters, digits, '_', '.' and '-'.",
    )
    name = forms.CharField(max_length=200, required=False, help_text="Shown in titles; the short name when empty.")

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data["slug"]).lower()  # as the API does
        slug_validator(slug)
        return slug


@login_required
@require_http_methods(["GET", "POST"])
def org_new(request: HttpRequest) -> HttpResponse:
    form = OrgCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        slug, name = form.cleaned_data["slug"], form.cleaned_data["name"]
        try:
            org = services.org_create(slug=slug, name=name, owner=request.user)  # type: ignore[arg-type]
        except services.ReservedSlug as e:
            form.add_error("slug", str(e))
        except IntegrityError:
            form.add_error("slug", f"An organisation named {slug} exists; choose another name.")
        else:
            return redirect("org-home", org=org.slug)
    return render(request, "orgs/org_new.html", {"form": form}, status=400 if form.errors else 200)


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's form; its mail goes through a Celery task instead of inline,
    so a slow SMTP server neither holds the request nor tells, by the
    answer's delay, whether the address has an account."""

    def send_mail(
        self, subject_template_name: str, email_template_name: str, context: dict[str, Any],
        from_email: str | None, to_email: str, html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        people.email_send(to=to_email, subject=subject, body=render_to_string(email_template_name, context))


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "orgs/password_reset.html"
    form_class = QueuedPasswordResetForm
    email_template_name = "orgs/email/password_reset.txt"
    subject_template_name = "orgs/email/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "email_enabled": settings.CAIRN_EMAIL_ENABLED}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.CAIRN_EMAIL_ENABLED:
            return self.render_to_response(self.get_context_data(), status=503)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        if not people.password_reset_allowed(email=form.cleaned_data["email"], client=client_ip(self.request)):
            form.add_error(None, "Too many reset emails asked for: try again in an hour.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        self.extra_email_context = {"public_url": settings.PUBLIC_URL}
        return super().form_valid(form)
