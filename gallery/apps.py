from django.apps import AppConfig


class GalleryConfig(AppConfig):
    name = "gallery"
    verbose_name = "Gallery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from gallery import ratelimit

        # Failed log-ins per address, whatever the username and whichever log-in was used.
        user_login_failed.connect(ratelimit.record_login_failure, dispatch_uid="gallery.ratelimit.logins")
