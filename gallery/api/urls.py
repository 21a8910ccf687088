"""API routes: version 1 under /api/v1/, the OpenAPI schema and its docs beside it.

Every object is addressed by its UUID (`id`); image bytes have their own sub-resources
(`.../image/`, `.../thumbnail/`, `.../preview/`, `.../result/`) that check ownership.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from gallery.api import accounts, batches, sharing, views

app_name = "api"

router = SimpleRouter()
router.register("styles", views.StyleViewSet, basename="style")
router.register("photos", views.PhotoViewSet, basename="photo")
router.register("stylizations", views.StylizationViewSet, basename="stylization")
router.register("shares", sharing.ShareViewSet, basename="share")
router.register("batches", batches.BatchViewSet, basename="batch")

v1 = [
    path("auth/token/", accounts.TokenView.as_view(), name="token"),
    path("me/", accounts.MeView.as_view(), name="me"),
    path("shared/<str:token>/", sharing.SharedResultView.as_view(), name="shared-detail"),
    path("shared/<str:token>/result/", sharing.SharedResultImageView.as_view(), name="shared-result"),
    path("explore/", sharing.ExploreView.as_view(), name="explore"),
    *router.urls,
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The page's start-up script is served from its own URL (?script), not inline: see nstsite.middleware.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"", views.NotFoundView.as_view()),
]
