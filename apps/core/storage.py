"""Stored files as the browser gets them, on local disk or object storage alike.

On object storage a download is a redirect to a signed URL (SigV4), so the
bytes never pass through a web process. The signed URL asks the store to
answer with the same safe headers a local download gets (the content type
chosen here, `attachment` where asked), so an uploaded `x.html` is never served
as a page from the bucket. The URL is signed for `CAIRN_S3_PUBLIC_ENDPOINT_URL`
when set: the browser's way to the store, where the servers use an internal one.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponseBase, HttpResponseRedirect
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class CairnS3Storage(S3Storage):
    """django-storages' S3 backend, with browser-facing URLs signed for a public endpoint."""

    def __init__(self, *, public_endpoint_url: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.public_endpoint_url = public_endpoint_url
        self._public = threading.local()

    def _public_client(self) -> Any:
        client = getattr(self._public, "client", None)
        if client is None:
            # Signing is local (no request): a client for the public endpoint only signs.
            client = self._create_session().client(
                "s3", region_name=self.region_name, endpoint_url=self.public_endpoint_url, config=self.client_config,
            )
            self._public.client = client
        return client

    def url(self, name: str, parameters: dict[str, Any] | None = None, expire: int | None = None,
            http_method: str | None = None) -> str:
        if not self.public_endpoint_url:
            return str(super().url(name, parameters=parameters, expire=expire, http_method=http_method))
        params = {**(parameters or {}), "Bucket": self.bucket_name, "Key": self._normalize_name(clean_name(name))}
        return str(self._public_client().generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expire or self.querystring_expire, HttpMethod=http_method,
        ))


# Types a browser would run or render as a page. A store cannot send a CSP, so
# from a bucket they go as plain bytes (the attachment keeps them downloads).
_ACTIVE_TYPES = {"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
                 "text/javascript", "application/javascript", "application/pdf"}


def on_object_storage() -> bool:
    return bool(settings.CAIRN_STORAGE == "s3")


def stored_file_response(
    name: str, *, content_type: str, filename: str | None = None, csp: str | None = None, cache: str | None = None,
) -> HttpResponseBase:
    """The stored file `name` for a browser: `filename` makes it an attachment; `csp` and `cache` are
    its Content-Security-Policy and Cache-Control (a store cannot send a CSP: its signed URL gets the
    attachment and the content type, which keep it from being run)."""
    disposition = content_disposition_header(True, filename) if filename else None
    if on_object_storage():
        inert = content_type.split(";")[0].strip().lower() not in _ACTIVE_TYPES
        params = {"ResponseContentType": content_type if inert else "application/octet-stream"}
        if disposition:
            params["ResponseContentDisposition"] = disposition
        if cache:
            params["ResponseCacheControl"] = cache
        return HttpResponseRedirect(default_storage.url(name, parameters=params))  # type: ignore[call-arg]  # S3Storage.url
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    if disposition:
        response["Content-Disposition"] = disposition
    if csp:
        response["Content-Security-Policy"] = csp
    if cache:
        response["Cache-Control"] = cache
    return response
