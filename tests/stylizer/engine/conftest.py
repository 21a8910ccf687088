import pytest
from PIL import Image

from tests import images


@pytest.fixture(scope="session")
def photo() -> Image.Image:
    """A drawn outdoor scene, small: the tests run at 32-96 px."""
    return images.scene((96, 96))


@pytest.fixture(scope="session")
def painting() -> Image.Image:
    return images.painting("Swirling Night", (96, 60))


@pytest.fixture(scope="session")
def second_painting() -> Image.Image:
    return images.painting("Ink Waves", (75, 96))
