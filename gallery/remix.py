"""Remix: start a new stylization from an earlier result, as its photo or as a style.

From your own results either way; from a result someone shared with you (its link's
token) as a style only: the shared picture is theirs to show, not a photo of yours. The
result's PNG goes through the ordinary upload path (`services.stylization_create_with_uploads`
as `photo_file` or `style_file`), so it becomes your photo or your private style image
under the same checks and quotas, and the new stylization keeps `remix_of`/`remix_as`.

What the origin shows depends on who looks (`remix_origin`): its owner gets a link to the
result page, anyone else only its share link while it is shared, never its id.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import QueryDict

from gallery import errors, selectors
from gallery.downloads import download_name
from gallery.models import Stylization

AS_PHOTO, AS_STYLE = "photo", "style"
REMIX_AS = (AS_PHOTO, AS_STYLE)


@dataclass(frozen=True)
class Remix:
    """Where a new stylization starts from: `origin`'s result, used `as_` the photo or a style."""

    origin: Stylization
    as_: str
    shared: bool  # reached through a share link, not as its owner

    def upload(self) -> ContentFile:
        """The origin's result as an upload for the create path (named after the photo and paintings)."""
        with self.origin.result.open("rb") as handle:
            data = handle.read()
        return ContentFile(data, name=download_name(self.origin, private_titles=not self.shared))

    def create_kwargs(self) -> dict:
        """What `stylization_create_with_uploads` takes for this remix."""
        upload = {"photo_file": self.upload()} if self.as_ == AS_PHOTO else {"style_file": self.upload()}
        return {**upload, "remix_of": self.origin, "remix_as": self.as_}


def remix_get(
    *, fetched_by: AbstractBaseUser, as_: str, stylization_id: str | None = None, share_token: str | None = None
) -> Remix:
    """The remix a user asks for: one of their results (Http404 for anyone else's), or a shared
    result by its token (as a style only). ValidationError names what is wrong with the request."""
    if as_ not in REMIX_AS:
        raise ValidationError({"remix_as": errors.REMIX_AS})
    if share_token:
        if as_ != AS_STYLE:
            raise ValidationError({"remix_as": errors.REMIX_SHARED_AS_PHOTO})
        share = selectors.share_get_by_token(token=share_token)
        origin, shared = share.stylization, share.owner_id != fetched_by.pk
    else:
        origin, shared = selectors.stylization_get(fetched_by=fetched_by, stylization_id=stylization_id), False
    if origin.status != Stylization.Status.SUCCEEDED or not origin.result:
        raise ValidationError({"remix": errors.REMIX_NOT_FINISHED})
    return Remix(origin=origin, as_=as_, shared=shared)


def remix_from_query(*, query: QueryDict, fetched_by: AbstractBaseUser) -> Remix | None:
    """The remix the create page's URL asks for: `?remix=<your stylization>&as=photo|style` or
    `?remix_share=<token>&as=style`; None without one (errors as `remix_get`)."""
    stylization_id, token = query.get("remix"), query.get("remix_share")
    if not stylization_id and not token:
        return None
    return remix_get(fetched_by=fetched_by, as_=query.get("as", ""), stylization_id=stylization_id, share_token=token)


def remix_origin(stylization: Stylization, *, fetched_by: AbstractBaseUser) -> dict | None:
    """What `fetched_by` may know of where `stylization` came from: None if it is no remix (or its
    origin was deleted); else how it was used, and the origin's result page for its owner or its
    share link (while shared) for anyone else."""
    origin = stylization.remix_of
    if origin is None:
        return None
    mine = fetched_by.is_authenticated and (origin.owner_id == fetched_by.pk or fetched_by.is_staff)
    share = getattr(origin, "share_link", None) if not mine else None
    return {
        "as": stylization.remix_as,
        "stylization": origin if mine else None,
        "share": share,
        "titles": [link.style.title if mine or link.style.is_curated else "" for link in origin.style_links.all()],
    }
