"""A fresh install gets a few procedural starter styles (see gallery.starter_styles)."""

from django.db import migrations


def add_starter_styles(apps, schema_editor):
    from gallery import images
    from gallery.starter_styles import STARTER_STYLES, render

    Style = apps.get_model("gallery", "Style")
    if Style.objects.filter(owner__isnull=True).exists():
        return
    for position, starter in enumerate(STARTER_STYLES, start=1):
        picture = render(starter)
        style = Style(title=starter.title, artist=starter.artist, year=starter.year, position=position * 10)
        style.image.save("starter.png", images.png(picture, name="starter.png"), save=False)
        style.thumbnail.save("thumbnail.jpg", images.thumbnail(picture), save=False)
        style.save()


def remove_starter_styles(apps, schema_editor):
    from gallery.starter_styles import STARTER_STYLES

    Style = apps.get_model("gallery", "Style")
    Style.objects.filter(owner__isnull=True, title__in=[s.title for s in STARTER_STYLES], stylizations=None).delete()


class Migration(migrations.Migration):
    dependencies = [("gallery", "0001_initial")]

    operations = [migrations.RunPython(add_starter_styles, remove_starter_styles)]
