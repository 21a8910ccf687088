from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("gallery.api.urls")),
    path("accounts/", include("gallery.account_urls")),
    path("", include("gallery.urls")),
]

# A body Django could not parse (an upload's file name with folders, nstsite.http) says why.
handler400 = "nstsite.views.bad_request"
# An unexpected error under /api/ is JSON in the API's error shape, never an HTML page.
handler500 = "nstsite.views.server_error"
