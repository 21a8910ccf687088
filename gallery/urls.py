"""Page and image URLs. Every id in a URL is a UUID; every image goes through a view
that checks ownership (the `*_image`, `*_thumbnail`, `*_preview` and `*_result` names)."""

from django.urls import path

from gallery import views, views_batch, views_landing, views_print, views_share

app_name = "gallery"

urlpatterns = [
    path("", views.home, name="home"),
    path("photos/", views.photo_list_page, name="photo_list"),
    path("photos/<uuid:photo_id>/delete/", views.photo_delete_page, name="photo_delete"),
    path("photos/<uuid:photo_id>/image", views.photo_image, name="photo_image"),
    path("photos/<uuid:photo_id>/thumbnail", views.photo_thumbnail, name="photo_thumbnail"),
    path("styles/", views.style_list, name="style_list"),
    path("styles/<uuid:style_id>/image", views.style_image, name="style_image"),
    path("styles/<uuid:style_id>/thumbnail", views.style_thumbnail, name="style_thumbnail"),
    path("create/", views.stylization_create_page, name="stylization_create"),
    path("results/", views.stylization_list_page, name="stylization_list"),
    path("results/<uuid:stylization_id>/", views.stylization_detail, name="stylization_detail"),
    path("results/<uuid:stylization_id>/status", views.stylization_status, name="stylization_status"),
    path("results/<uuid:stylization_id>/cancel/", views.stylization_cancel_page, name="stylization_cancel"),
    path("results/<uuid:stylization_id>/retry/", views.stylization_retry_page, name="stylization_retry"),
    path("results/<uuid:stylization_id>/delete/", views.stylization_delete_page, name="stylization_delete"),
    path("results/<uuid:stylization_id>/preview", views.stylization_preview, name="stylization_preview"),
    path("results/<uuid:stylization_id>/result.png", views.stylization_result, name="stylization_result"),
    # Prints: a finished result continued to 2048 or 4096 px (a print is a stylization of its own).
    path("results/<uuid:stylization_id>/print/", views_print.stylization_print_page, name="stylization_print"),
    # One photo in many styles: the set one request made.
    path("sets/<uuid:batch_id>/", views_batch.batch_detail, name="batch_detail"),
    path("sets/<uuid:batch_id>/contact-sheet.jpg", views_batch.batch_contact_sheet, name="batch_contact_sheet"),
    # Sharing: the token routes need no account (the token is the credential).
    path("results/<uuid:stylization_id>/share/", views_share.stylization_share, name="stylization_share"),
    path("shares/", views_share.share_list, name="share_list"),
    path("shares/<uuid:share_id>/revoke/", views_share.share_revoke, name="share_revoke"),
    path("s/<str:token>/", views_share.share_page, name="share_page"),
    path("s/<str:token>/result.png", views_share.share_result, name="share_result"),
    path("explore/", views_share.explore, name="explore"),
    # The landing page's before/after examples (manage.py make_examples), public like the catalogue.
    path("examples/<uuid:example_id>/before.jpg", views_landing.example_before, name="example_before"),
    path("examples/<uuid:example_id>/after.jpg", views_landing.example_after, name="example_after"),
]
