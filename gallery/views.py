"""Pages. Thin: validate input, call one service or selector, render.

A page that shares its action with a service or selector is named `<that>_page`
(`stylization_create_page` calls `services.stylization_create`). Images are never served
from a public media URL: the `*_image`, `*_thumbnail`, `*_preview` and `*_result` views
stream files (gallery.responses) only to whoever the selectors allow.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gallery import errors, eta, responses, selectors, services, views_print
from gallery.forms import MODE_EACH, AccountSettingsForm, PhotoUploadForm, SignUpForm, StylizationForm
from gallery.models import Stylization
from gallery.ratelimit import rate_limited
from gallery.remix import remix_from_query, remix_origin

GALLERY_PAGE_SIZE = 12


def _form_error(form, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form (unknown fields go to the top)."""
    for field, messages_ in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
        for message in messages_:
            form.add_error(field if field in form.fields else None, message)


def _confirm_delete(request: HttpRequest, name: str, row, delete, *, then: str) -> HttpResponse:
    """GET: the confirmation page `gallery/<name>_confirm_delete.html`; POST: `delete(<name>=row)`."""
    if request.method == "POST":
        delete(**{name: row})
        messages.success(request, f"{name.title()} deleted.")
        return redirect(then)
    return render(request, f"gallery/{name}_confirm_delete.html", {name: row})


# Accounts ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@rate_limited("signups")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("gallery:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # Named, as there are two backends (the login lock's and the model's); no password check here.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Upload a photo to begin.")
        return redirect("gallery:stylization_create")
    status = 400 if form.errors else 200
    return render(request, "registration/signup.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def account_settings(request: HttpRequest) -> HttpResponse:
    profile = selectors.profile_get(fetched_by=request.user)
    # Not `request.POST or None`: unticking the only box posts no field at all.
    data = request.POST if request.method == "POST" else None
    form = AccountSettingsForm(data, initial={"notify_by_email": profile.notify_by_email})
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(user=request.user, notify_by_email=form.cleaned_data["notify_by_email"])
        except ValidationError as exc:
            form.add_error(None, exc.message_dict["notify_by_email"])
        else:
            messages.success(request, "Settings saved.")
            return redirect("account_settings")
    status = 400 if form.errors else 200
    return render(request, "registration/account_settings.html", {"form": form}, status=status)


# Home --------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("gallery:stylization_list")
    context = {"styles": selectors.style_list_active()[:6], "examples": selectors.example_list()}
    return render(request, "gallery/home.html", context)


# Photos ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("uploads")
def photo_list_page(request: HttpRequest) -> HttpResponse:
    form = PhotoUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.photo_create(owner=request.user, file=form.cleaned_data["image"])
        except ValidationError as exc:
            _form_error(form, exc)
        except errors.GalleryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Photo uploaded.")
            return redirect("gallery:photo_list")
    photos = selectors.photo_list(fetched_by=request.user)
    status = 400 if form.errors else 200
    return render(request, "gallery/photo_list.html", {"form": form, "photos": photos}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def photo_delete_page(request: HttpRequest, photo_id) -> HttpResponse:
    photo = selectors.photo_get(fetched_by=request.user, photo_id=photo_id)
    return _confirm_delete(request, "photo", photo, services.photo_delete, then="gallery:photo_list")


@login_required
@require_GET
def photo_image(request: HttpRequest, photo_id) -> FileResponse:
    return responses.image(selectors.photo_get(fetched_by=request.user, photo_id=photo_id).image)


@login_required
@require_GET
def photo_thumbnail(request: HttpRequest, photo_id) -> FileResponse:
    return responses.image(selectors.photo_get(fetched_by=request.user, photo_id=photo_id).thumbnail)


# Styles ------------------------------------------------------------------------------


@require_GET
def style_list(request: HttpRequest) -> HttpResponse:
    return render(request, "gallery/style_list.html", {"styles": selectors.style_list_active()})


@require_GET
def style_image(request: HttpRequest, style_id) -> FileResponse:
    return responses.image(selectors.style_get_image_source(fetched_by=request.user, style_id=style_id).image)


@require_GET
def style_thumbnail(request: HttpRequest, style_id) -> FileResponse:
    return responses.image(selectors.style_get_image_source(fetched_by=request.user, style_id=style_id).thumbnail)


# Stylizations ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("stylizations")
def stylization_create_page(request: HttpRequest) -> HttpResponse:
    photos = selectors.photo_list(fetched_by=request.user)
    styles = selectors.style_list_active()
    initial = {"photo": request.GET.get("photo"), "styles": request.GET.getlist("style")}
    try:
        remix = remix_from_query(query=request.GET, fetched_by=request.user)
        remix_error = None
    except ValidationError as exc:
        remix, remix_error = None, exc
    form = StylizationForm(
        request.POST or None, request.FILES or None, photos=photos, styles=styles, initial=initial, remix=remix
    )
    if remix_error:
        _form_error(form, remix_error)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # A remix's result takes the place of the photo or of the style upload.
        inputs = {"photo": data["photo"], "photo_file": data["photo_file"], "style_file": data["style_file"]}
        inputs |= remix.create_kwargs() if remix else {}
        common = {"owner": request.user, "params": form.to_params(), "idempotency_key": data["idempotency_key"]}
        try:
            if data["mode"] == MODE_EACH:  # one stylization per style (the form allows no style upload here)
                made = services.batch_create(
                    styles=list(data["styles"]),
                    photo=inputs["photo"],
                    photo_file=inputs["photo_file"],
                    remix_of=inputs.get("remix_of"),
                    **common,
                )
            else:
                made = services.stylization_create_with_uploads(
                    styles=form.styles_with_weights(),
                    style_file_weight=data["style_file_weight"] or 1.0,
                    **inputs,
                    **common,
                )
        except ValidationError as exc:
            _form_error(form, exc)
        except errors.QueueUnavailable as exc:
            # The row was saved as failed: its page offers the retry.
            messages.error(request, str(exc))
            return redirect("gallery:stylization_detail", stylization_id=exc.stylization_id)
        except errors.GalleryError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(made)
    status = 400 if form.errors else 200
    context = {
        "form": form,
        "active_jobs": selectors.stylization_count_active(fetched_by=request.user),
        "job_limit": settings.STYLIZER_MAX_ACTIVE_JOBS,
        "max_styles": settings.STYLIZER_MAX_STYLES,
        "remix": remix,
    }
    return render(request, "gallery/stylization_create.html", context, status=status)


@login_required
@require_GET
def stylization_list_page(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status")
    if status not in Stylization.Status.values:
        status = None
    stylizations = selectors.stylization_list(fetched_by=request.user, status=status)
    page = Paginator(stylizations, GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))
    queue_now = eta.QueueSnapshot()
    for stylization in page:
        stylization.eta_text = eta.describe(queue_now.seconds_left(stylization))
    context = {"page": page, "status": status, "statuses": Stylization.Status.choices}
    return render(request, "gallery/stylization_list.html", context)


@login_required
@require_GET
def stylization_detail(request: HttpRequest, stylization_id) -> HttpResponse:
    stylization = selectors.stylization_get(fetched_by=request.user, stylization_id=stylization_id)
    origin = remix_origin(stylization, fetched_by=request.user)
    context = {"stylization": stylization, "status": _status(stylization), "remix_origin": origin}
    context.update(views_print.print_context(stylization, fetched_by=request.user))
    return render(request, "gallery/stylization_detail.html", context)


@login_required
@require_GET
def stylization_status(request: HttpRequest, stylization_id) -> JsonResponse:
    """What the result page polls: status, progress, latest preview URL, losses."""
    stylization = selectors.stylization_get(fetched_by=request.user, stylization_id=stylization_id)
    return JsonResponse(_status(stylization))


def _status(stylization: Stylization) -> dict:
    def url(name: str) -> str:
        return reverse(f"gallery:{name}", args=[stylization.pk])

    seconds_left = eta.stylization_eta(stylization=stylization)
    return {
        "id": str(stylization.pk),
        "status": stylization.status,
        "status_display": stylization.get_status_display(),
        "queue_position": selectors.stylization_queue_position(stylization=stylization),
        "eta_seconds": seconds_left,
        "eta_text": eta.describe(seconds_left),
        "step": stylization.step,
        "total_steps": stylization.total_steps,
        "losses": [loss.get("total") for loss in stylization.losses],
        "run_seconds": stylization.run_seconds,
        "error_message": stylization.error_message,
        "preview_url": f"{url('stylization_preview')}?step={stylization.step}" if stylization.preview else None,
        # The attempt in the URL keeps browsers from showing a cached result of an earlier attempt.
        "result_url": f"{url('stylization_result')}?v={stylization.attempt}" if stylization.result else None,
        "print_side": stylization.print_side,
        "can_cancel": stylization.is_active,
        "can_retry": stylization.is_retryable,
    }


def _act(request: HttpRequest, stylization_id, service, done: str) -> HttpResponse:
    stylization = selectors.stylization_get(fetched_by=request.user, stylization_id=stylization_id)
    try:
        service(stylization=stylization)
    except errors.GalleryError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:  # a retry that today's limits refuse
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect(stylization)


@login_required
@require_POST
def stylization_cancel_page(request: HttpRequest, stylization_id) -> HttpResponse:
    return _act(request, stylization_id, services.stylization_cancel, "Stylization cancelled.")


@login_required
@require_POST
@rate_limited("stylizations")
def stylization_retry_page(request: HttpRequest, stylization_id) -> HttpResponse:
    return _act(request, stylization_id, services.stylization_retry, "Queued again.")


@login_required
@require_http_methods(["GET", "POST"])
def stylization_delete_page(request: HttpRequest, stylization_id) -> HttpResponse:
    stylization = selectors.stylization_get(fetched_by=request.user, stylization_id=stylization_id)
    return _confirm_delete(
        request, "stylization", stylization, services.stylization_delete, then="gallery:stylization_list"
    )


@login_required
@require_GET
def stylization_preview(request: HttpRequest, stylization_id) -> FileResponse:
    stylization = selectors.stylization_get(fetched_by=request.user, stylization_id=stylization_id)
    return responses.image(stylization.preview)


@login_required
@require_GET
def stylization_result(request: HttpRequest, stylization_id) -> FileResponse:
    stylization = selectors.stylization_get(fetched_by=request.user, stylization_id=stylization_id)
    return responses.result(stylization, download="download" in request.GET)
