"""The REST API (Django REST framework), version 1 under /api/v1/.

Thin on purpose: views validate input with a serializer, call one service or selector
from the gallery app, and serialize the result. Errors leave through one handler
(`exceptions.exception_handler`) in one shape; image bytes go through the same
owner-checking views as the pages.
"""
