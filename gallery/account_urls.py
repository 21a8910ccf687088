"""Accounts: Django's auth views with our templates, plus sign-up."""

from django.contrib.auth import views as auth_views
from django.urls import path

from gallery import views
from nstsite.ratelimit import rate_limited

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path(
        "login/", rate_limited("logins")(auth_views.LoginView.as_view(redirect_authenticated_user=True)), name="login"
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
