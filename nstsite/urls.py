from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from gallery.ratelimit import rate_limited


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and feed readers ask for on their own: our icon, from the static files."""
    return redirect(static("gallery/favicon.ico"))


urlpatterns = [
    # The admin's log-in counts with the site's and the API's against the per-address limit.
    path("admin/login/", rate_limited("logins")(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api/", include("gallery.api.urls")),
    path("accounts/", include("gallery.account_urls")),
    path("favicon.ico", favicon),
    path("", include("gallery.urls")),
]

# A body Django could not parse (an upload's file name with folders, gallery.http) says why.
handler400 = "gallery.error_pages.bad_request"
# An unexpected error under /api/ is JSON in the API's error shape, never an HTML page.
handler500 = "gallery.error_pages.server_error"
