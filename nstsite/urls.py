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
