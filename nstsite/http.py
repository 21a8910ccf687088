"""Reading requests: strict upload file names.

- `StrictMultiPartParser`: Django's multipart parser quietly strips folders from an upload's
  file name (`../../x.jpg` becomes `x.jpg`) before any view sees it. We refuse such a name
  with a clear 400 instead, before anything is written. The pages parse with it
  (`nstsite.middleware.StrictFileNamesMiddleware`), and so does the API (`gallery.api.parsers`).
"""

from __future__ import annotations

import html

from django.http.multipartparser import MultiPartParser

from gallery import errors


class StrictMultiPartParser(MultiPartParser):
    """Django's multipart parser, refusing file names with folders instead of trimming them.

    Browsers send a bare file name; a name with `/`, `\\` or a `..` part comes from a
    hand-made request (RFC 5987 `filename*=UTF-8''..%2F..%2Fx.jpg` arrives decoded here).
    """

    def sanitize_file_name(self, file_name: str) -> str | None:
        name = html.unescape(file_name)  # as Django does: `&#47;` is a slash too
        if "/" in name or "\\" in name or name.strip() in {".", ".."}:
            raise errors.UnsafeFileName(name)
        return super().sanitize_file_name(file_name)
