from pathlib import Path

import pytest
from PIL import Image

SHARED_IMAGES = Path(__file__).resolve().parents[4] / "shared" / "images"


@pytest.fixture(scope="session")
def photo() -> Image.Image:
    """A real photo, small: the tests run at 32-96 px."""
    return Image.open(SHARED_IMAGES / "content" / "eiffel_tower.jpg").convert("RGB").resize((96, 96))


@pytest.fixture(scope="session")
def painting() -> Image.Image:
    return Image.open(SHARED_IMAGES / "styles" / "starry_night.jpg").convert("RGB").resize((96, 60))


@pytest.fixture(scope="session")
def second_painting() -> Image.Image:
    return Image.open(SHARED_IMAGES / "styles" / "the_scream.jpg").convert("RGB").resize((75, 96))
