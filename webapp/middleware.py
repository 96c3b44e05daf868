"""Accept gzip-compressed request bodies, refusing ones that inflate too far."""

from __future__ import annotations

import tempfile
import time
import zlib
from typing import Callable

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, JsonResponse

READ_SIZE = 1 << 16


class GzipRequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower() == "gzip":
            error = self._inflate(request)
            if error is not None:
                return error
        return self.get_response(request)

    def _inflate(self, request: HttpRequest) -> HttpResponse | None:
        is_file = "/files/" in request.path
        limit = settings.CAIRN_MAX_FILE_SIZE if is_file else settings.CAIRN_MAX_BODY_SIZE
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        # Spooled: small bodies stay in memory, large ones go to disk.
        out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        size = 0
        try:
            while True:
                block = request.read(READ_SIZE)
                if not block:
                    break
                data = inflater.decompress(block, READ_SIZE)
                while True:
                    size += len(data)
                    if size > limit:
                        return JsonResponse(
                            {"error": f"Decompressed body is over the limit of {limit} bytes."}, status=413
                        )
                    out.write(data)
                    if not inflater.unconsumed_tail:
                        break
                    data = inflater.decompress(inflater.unconsumed_tail, READ_SIZE)
            out.write(inflater.flush())
        except zlib.error as e:
            return JsonResponse({"error": f"Body is not valid gzip: {e}"}, status=400)
        if not inflater.eof:
            return JsonResponse({"error": "Body is not valid gzip: truncated stream."}, status=400)
        size = out.tell()
        out.seek(0)
        request._stream = LimitedStream(out, size)  # type: ignore[arg-type,assignment]
        request._read_started = False  # type: ignore[attr-defined]
        request.META["CONTENT_LENGTH"] = str(size)
        del request.META["HTTP_CONTENT_ENCODING"]
        return None


class ServerTimingMiddleware:
    """`Server-Timing: app;dur=<ms>` on every response: the time spent in
    Django, so clients and benchmarks can tell server time from the network."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.1f}"
        return response
