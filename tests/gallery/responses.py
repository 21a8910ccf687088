"""Assertions about responses that several test modules share."""

# What the browser may do with an image: take it as the type it is, never as a page.
IMAGE_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def assert_served_as_an_image_only(response) -> None:
    """The Content-Type is the one the bytes really are, with nosniff and a sandboxing CSP."""
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    actual = next(kind for signature, kind in IMAGE_SIGNATURES.items() if data.startswith(signature))
    assert response["Content-Type"] == actual
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
