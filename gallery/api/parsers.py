"""The API's body parsers: DRF's, made to answer every unreadable body with 400 `parse_error`.

- `JSONParser`: a body nested too deeply for Python's decoder (`[[[[...` a thousand levels,
  2 KB) raises RecursionError, which DRF's parser lets through as a 500.
- `MultiPartParser`: on the site's strict Django parser (gallery.http). An upload whose file
  name holds a folder path or `..` is refused naming the file, instead of being stored under
  a name trimmed behind the client's back.

How large a body may be is decided before any parser runs (nstsite.middleware).
"""

from __future__ import annotations

from django.conf import settings
from django.http.multipartparser import MultiPartParserError
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from gallery import errors
from gallery.http import StrictMultiPartParser


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(errors.JSON_TOO_DEEP) from None


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None) -> parsers.DataAndFiles:
        request = (parser_context or {})["request"]
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        meta = {**request.META, "CONTENT_TYPE": media_type}
        try:
            data, files = StrictMultiPartParser(meta, stream, request.upload_handlers, encoding).parse()
        except errors.UnsafeFileName as exc:
            raise ParseError(str(exc)) from exc
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc
        return parsers.DataAndFiles(data, files)
