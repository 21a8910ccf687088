"""Accounts: Django's auth views with our templates and forms, plus sign-up.

The forms that set a password revoke the user's API token (gallery.forms); Django itself
ends the user's other sessions, keeping the one that changed the password.
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from gallery import forms, views
from gallery.ratelimit import rate_limited

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path(
        "login/", rate_limited("logins")(auth_views.LoginView.as_view(redirect_authenticated_user=True)), name="login"
    ),
    path("settings/", views.account_settings, name="account_settings"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(form_class=forms.PasswordChangeForm),
        name="password_change",
    ),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "password/reset/",
        rate_limited("password_resets")(
            auth_views.PasswordResetView.as_view(
                form_class=forms.PasswordResetForm, email_template_name="registration/password_reset_email.txt"
            )
        ),
        name="password_reset",
    ),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=forms.SetPasswordForm),
        name="password_reset_confirm",
    ),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
