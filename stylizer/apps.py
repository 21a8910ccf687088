from django.apps import AppConfig


class StylizerConfig(AppConfig):
    name = "stylizer"
    verbose_name = "Stylizer engine"
