"""Content negotiation for the image endpoints."""

from rest_framework.negotiation import BaseContentNegotiation


class ImageNegotiation(BaseContentNegotiation):
    """A success is the image file whatever `Accept` says; an error is the usual JSON.

    DRF's default negotiation would answer 406 to `Accept: image/png`, since no renderer
    produces images: the file response bypasses renderers, so only errors need one.
    """

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
