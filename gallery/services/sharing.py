"""Writes for sharing: public links to a result (`/s/<token>/`) and the public gallery.

A share link's token is its only credential, so it is long and random (`secrets`, 192
bits). Revoking deletes the link: the token is then a 404 like one that never existed,
and sharing the same result again makes a new token.
"""

from __future__ import annotations

import secrets

from django.db import transaction

from gallery import errors
from gallery.models import ShareLink, Stylization

# 24 random bytes, URL-safe base64: 32 characters, 192 bits (the issue asks for >= 128).
TOKEN_BYTES = 24


def share_create(*, stylization: Stylization, public: bool = False) -> ShareLink:
    """The result's share link, made if it has none; `public` lists it in /explore/ (or stops to)."""
    if stylization.status != Stylization.Status.SUCCEEDED or not stylization.result:
        raise errors.InvalidTransition(errors.CANNOT_SHARE)
    with transaction.atomic():
        share, created = ShareLink.objects.select_for_update().get_or_create(
            stylization=stylization,
            defaults={"owner_id": stylization.owner_id, "token": secrets.token_urlsafe(TOKEN_BYTES), "public": public},
        )
        if not created and share.public != public:
            share.public = public
            share.save(update_fields=["public"])
    return share


def share_update(*, share: ShareLink, public: bool) -> ShareLink:
    """List the shared result in the public gallery, or take it out (the link keeps working)."""
    share.public = public
    share.save(update_fields=["public"])
    return share


def share_revoke(*, share: ShareLink) -> None:
    """The link stops working at once: its page, image and API answer 404."""
    share.delete()


def share_hide(*, share: ShareLink, hidden: bool = True) -> ShareLink:
    """Staff: keep a shared result out of the public gallery (its link still works for who has it)."""
    share.hidden = hidden
    share.save(update_fields=["hidden"])
    return share
