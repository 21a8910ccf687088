"""/favicon.ico: browsers ask for it on their own, on every site; ours answers with our icon."""

import io
import urllib.request

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from PIL import Image


@pytest.mark.django_db
def test_favicon_ico_is_our_icon_from_the_static_files(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == static("gallery/favicon.ico")
    icon = Image.open(finders.find("gallery/favicon.ico"))
    assert icon.format == "ICO" and {(16, 16), (32, 32), (48, 48)} <= icon.info["sizes"]
    assert icon.convert("RGBA").getpixel((16, 16))[3] == 255  # a drawing, not an empty square


@pytest.mark.django_db
def test_every_page_names_its_icons(client):
    page = client.get("/").content.decode()
    assert f'<link rel="icon" href="{static("gallery/favicon.ico")}"' in page
    assert f'<link rel="icon" href="{static("gallery/favicon.svg")}" type="image/svg+xml">' in page


def test_the_icon_is_served_by_the_static_files_server(live_server):
    """In production WhiteNoise serves it; under runserver, the staticfiles app."""
    with urllib.request.urlopen(live_server.url + "/favicon.ico") as answer:  # follows the redirect
        data = answer.read()
        assert answer.headers["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert Image.open(io.BytesIO(data)).format == "ICO"
