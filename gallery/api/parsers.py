"""The API's multipart parser: DRF's, on the site's strict Django parser (nstsite.http).

An upload whose file name holds a folder path or `..` is a 400 `parse_error` naming the
file, instead of being stored under a name trimmed behind the client's back.
"""

from __future__ import annotations

from django.conf import settings
from django.http.multipartparser import MultiPartParserError
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from gallery import errors
from nstsite.http import StrictMultiPartParser


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
