"""Page forms. They validate input shape only; services decide what is allowed.

The stylization options are built from the one spec (`gallery.options`): initial values
are StyleParams' defaults, ranges, choices and help the spec's, so nothing here retypes them.
"""

from __future__ import annotations

import threading
import uuid

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from gallery import errors, images, options, services
from gallery.models import Photo, Style
from gallery.remix import AS_PHOTO, AS_STYLE, Remix
from stylizer.engine.params import MAX_SIZE, MIN_SIZE, OPTIONS, STYLE_WEIGHT, StyleParams

WEIGHT_PREFIX = "weight_"
MODE_BLEND, MODE_EACH = "blend", "each"


class SignUpForm(UserCreationForm):
    # Required: a reset link by e-mail is the only way back into a forgotten account, and
    # the photos in it are private. Not unique: "that address is taken" would tell anyone
    # which addresses have accounts (a reset mails a link for each account on the address).
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="Only for a password-reset link, if you ever need one. Never shown to anyone.",
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"])


class _EndsOldCredentials:
    """For the forms that set a password (the user's change, a reset link, staff in the admin):
    once saved, what the old password opened is closed (`services.auth_password_changed`)."""

    by_reset_link = False

    def save(self, commit: bool = True):
        user = super().save(commit=commit)
        if commit:
            services.auth_password_changed(user=user, by_reset_link=self.by_reset_link)
        return user


class PasswordChangeForm(_EndsOldCredentials, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(_EndsOldCredentials, auth_forms.SetPasswordForm):
    by_reset_link = True


class AdminPasswordChangeForm(_EndsOldCredentials, auth_forms.AdminPasswordChangeForm):
    pass


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's, but the e-mail goes out from a thread of its own: the answer then takes as
    long whether or not an account uses the address (an SMTP round trip would tell)."""

    def send_mail(self, *args, **kwargs) -> None:
        threading.Thread(target=super().send_mail, args=args, kwargs=kwargs, daemon=True).start()


class AccountSettingsForm(forms.Form):
    notify_by_email = forms.BooleanField(
        required=False,
        label="E-mail me when a stylization finishes",
        help_text="One mail when it succeeds or fails (not when you cancel it), with a link to the result.",
    )


class ImageFileInput(forms.ClearableFileInput):
    """A file input for one image: offers the formats we take, and carries the per-file limit
    and its message so that `gallery/uploads.js` refuses a too-large file before it is sent
    (a user should not wait for a 50 MB upload to be refused). The server checks it again."""

    class Media:
        js = ["gallery/uploads.js"]

    def build_attrs(self, base_attrs, extra_attrs=None):
        # Read at render time, so the limit shown is the one in force.
        return {
            **super().build_attrs(base_attrs, extra_attrs),
            "accept": images.ACCEPT_ATTRIBUTE,
            "data-max-bytes": settings.UPLOAD_MAX_BYTES,
            "data-too-large-message": errors.FILE_TOO_LARGE,
        }


def image_file_field(**kwargs) -> forms.FileField:
    """An upload field checked by `images.clean_upload` (an empty file too: its message names the file)."""
    return forms.FileField(widget=ImageFileInput, allow_empty_file=True, **kwargs)


class PhotoUploadForm(forms.Form):
    image = image_file_field(label="Photo", help_text="JPEG, PNG or WebP.")


class StylizationForm(forms.Form):
    photo = forms.ModelChoiceField(queryset=Photo.objects.none(), required=False, widget=forms.RadioSelect)
    photo_file = image_file_field(label="…or upload a new photo", required=False)
    styles = forms.ModelMultipleChoiceField(
        queryset=Style.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    style_file = image_file_field(
        label="…or use your own style image",
        required=False,
        help_text="Private to you; it never appears in the catalogue.",
    )
    mode = forms.ChoiceField(
        label="With several styles",
        choices=[(MODE_BLEND, "Blend them into one picture"), (MODE_EACH, "One picture per style")],
        initial=MODE_BLEND,
        required=False,
        widget=forms.RadioSelect,
        help_text="One picture per style makes a set with a contact sheet; each counts as a stylization.",
    )
    style_file_weight = options.form_field(STYLE_WEIGHT, required=False)
    # The sizes the site offers (STYLIZER_SIZES, each within the spec's range), as choices.
    size = forms.TypedChoiceField(label=OPTIONS["size"].label, coerce=int)
    preset = options.form_field(OPTIONS["preset"])
    style_strength = options.form_field(OPTIONS["style_strength"])
    preserve_colors = options.form_field(OPTIONS["preserve_colors"])
    seed = options.form_field(OPTIONS["seed"])
    # One per rendered form: submitting the same form twice (a double click, a resent
    # POST) gives the first submission's stylization instead of a second job.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=255)

    def __init__(self, *args, photos, styles, remix: Remix | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.remix = remix  # its result is the photo or one more style (gallery/remix.py)
        self.fields["idempotency_key"].initial = uuid.uuid4().hex
        self.fields["photo"].queryset = photos
        self.fields["styles"].queryset = styles
        sizes = [size for size in settings.STYLIZER_SIZES if MIN_SIZE <= size <= MAX_SIZE]
        self.fields["size"].choices = [(size, f"{size} px") for size in sizes]
        self.fields["size"].initial = options.DEFAULTS.size if options.DEFAULTS.size in sizes else sizes[0]
        for style in styles:
            self.fields[f"{WEIGHT_PREFIX}{style.pk}"] = options.form_field(STYLE_WEIGHT, required=False)

    def clean(self):
        data = super().clean()
        # A weight counts (and its error shows) only on a chosen style; the page shows no
        # slider for the others, so an error there could be neither seen nor fixed.
        chosen = {f"{WEIGHT_PREFIX}{style.pk}" for style in data.get("styles") or ()}
        for name in [name for name in self.errors if name.startswith(WEIGHT_PREFIX) and name not in chosen]:
            del self.errors[name]
        remix_as = self.remix.as_ if self.remix else None
        if not data.get("photo") and not data.get("photo_file") and remix_as != AS_PHOTO:
            self.add_error("photo", "Choose one of your photos or upload a new one.")
        if not data.get("styles") and not data.get("style_file") and remix_as != AS_STYLE:
            self.add_error("styles", errors.NO_STYLES)
        data["mode"] = data.get("mode") or MODE_BLEND
        if data["mode"] == MODE_EACH and (data.get("style_file") or remix_as == AS_STYLE):
            self.add_error("mode", errors.EACH_CATALOGUE_ONLY)
        return data

    def _selected(self, name: str) -> set[str]:
        value = self[name].value()
        values = value if isinstance(value, (list, tuple)) else [value]
        return {str(item) for item in values if item}

    def photo_choices(self) -> list[tuple[Photo, bool]]:
        """(photo, checked) pairs for the picture grid."""
        selected = self._selected("photo")
        return [(photo, str(photo.pk) in selected) for photo in self.fields["photo"].queryset]

    def style_choices(self) -> list[tuple[Style, bool, forms.BoundField]]:
        """(style, checked, weight field) triples for the style grid."""
        selected = self._selected("styles")
        return [
            (style, str(style.pk) in selected, self[f"{WEIGHT_PREFIX}{style.pk}"])
            for style in self.fields["styles"].queryset
        ]

    def styles_with_weights(self) -> list[tuple[Style, float]]:
        return [
            (style, self.cleaned_data.get(f"{WEIGHT_PREFIX}{style.pk}") or 1.0) for style in self.cleaned_data["styles"]
        ]

    def to_params(self) -> StyleParams:
        return options.to_params({name: self.cleaned_data[name] for name in options.PAGE_OPTIONS})
