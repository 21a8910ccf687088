"""Accounts: API tokens, what a password change ends, and the user's settings."""

from __future__ import annotations

from axes.utils import reset as axes_reset
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token

from gallery import errors
from gallery.models import Profile


def profile_update(*, user: AbstractBaseUser, notify_by_email: bool) -> Profile:
    """Save the user's settings: whether a finished stylization is mailed to them
    (`stylizer.notify`). Mails need an address; an account without one is refused."""
    if notify_by_email and not user.email:
        raise ValidationError({"notify_by_email": errors.NO_EMAIL_TO_NOTIFY})
    profile = Profile.of(user)
    profile.notify_by_email = notify_by_email
    profile.save(update_fields=["notify_by_email"])
    return profile


def auth_token_get_or_create(*, user: AbstractBaseUser) -> Token:
    """The user's API token, created on first use (one per user, as DRF's token auth has it)."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


def auth_token_revoke(*, user: AbstractBaseUser) -> None:
    """Delete the user's API token; clients using it get 401 until they obtain a new one."""
    Token.objects.filter(user=user).delete()


def auth_password_changed(*, user: AbstractBaseUser, by_reset_link: bool = False) -> None:
    """End what the old password opened, once a new one is saved (by its owner, a reset link
    or staff): the API token, which never expires and may be in the hands of whoever knew the
    old password, is revoked. Sessions need nothing here: Django ends every session whose
    password hash is out of date (the page that changed it keeps its own, on purpose).

    `by_reset_link`: whoever set it read the account's e-mail, so the log-in lock on the
    username is lifted too; a locked-out owner can log in with the new password at once.
    """
    auth_token_revoke(user=user)
    if by_reset_link:
        axes_reset(username=user.get_username())
