"""Sending a webhook safely: only http(s), only to addresses Cairn may reach.

The host is resolved once, every address it resolves to is checked against
the networks allowed (`CAIRN_ALERT_WEBHOOK_ALLOW`; private, loopback,
link-local and reserved ranges are refused otherwise), and the request then
connects to the address that was checked, never resolving again: a DNS answer
that changes between the check and the connection (DNS rebinding) cannot
steer it inside. TLS still checks the certificate against the URL's host
name. Redirects are not followed, the timeout is short, and only the start of
the response is read.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

from apps.core.errors import BadInput

EXCERPT = 300
MAX_URL = 2000


class WebhookRefused(Exception):
    """The URL or the address it resolves to is not one Cairn sends to."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in settings.CAIRN_ALERT_WEBHOOK_ALLOW]


def address_check(address: str) -> None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in _allowed_networks()):
        return
    if not ip.is_global or ip.is_multicast:
        raise WebhookRefused(
            f"{ip} is a private, loopback or reserved address; CAIRN_ALERT_WEBHOOK_ALLOW lists those allowed."
        )


def url_check(url: object, field: str = "url") -> Target:
    """The parts of a webhook URL, or a 400: http(s), a host, no credentials."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise BadInput(f"Must be an http(s) URL of at most {MAX_URL} characters.", field)
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise BadInput("Must not contain spaces or control characters.", field)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BadInput("Not a valid URL.", field) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput("Must be an http:// or https:// URL with a host.", field)
    if parts.username or parts.password:
        raise BadInput("Must not hold a user name or password; sign with the channel's secret instead.", field)
    host = parts.hostname
    try:
        address_check(host)  # a literal address is checked now; a name when sending
    except ValueError:
        pass
    except WebhookRefused as e:
        raise BadInput(str(e), field) from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def resolve(host: str, port: int) -> str:
    """The one address to connect to, every address of the name checked first."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise OSError(f"cannot resolve {host}: {e}") from None
    addresses = [str(info[4][0]) for info in infos]
    for a in addresses:
        address_check(a)
    return addresses[0]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True)
class Response:
    status: int
    excerpt: str


def post(url: str, body: bytes, *, secret: str, delivery_id: int) -> Response:
    """POST the body; raises WebhookRefused, or OSError / urllib3 errors when it fails to arrive."""
    try:
        target = url_check(url)
    except BadInput as e:
        raise WebhookRefused(str(e.detail)) from None
    address = resolve(target.host, target.port)
    timestamp = str(int(time.time()))
    headers = {
        "Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
        "Content-Type": "application/json",
        "User-Agent": "Cairn-Alerts/1",
        "X-Cairn-Delivery": str(delivery_id),
        "X-Cairn-Timestamp": timestamp,
    }
    if secret:
        headers["X-Cairn-Signature"] = signature(secret, timestamp, body)
    timeout = urllib3.Timeout(connect=settings.CAIRN_ALERT_WEBHOOK_TIMEOUT, read=settings.CAIRN_ALERT_WEBHOOK_TIMEOUT)
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, target.port, timeout=timeout, retries=False, server_hostname=target.host, assert_hostname=target.host
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False)
    try:
        resp = pool.urlopen(
            "POST", target.path, body=body, headers=headers, redirect=False, preload_content=False, assert_same_host=False
        )
        try:
            excerpt = resp.read(EXCERPT, decode_content=False).decode("utf-8", "replace")
        finally:
            resp.release_conn()
            resp.close()
    finally:
        pool.close()
    return Response(resp.status, excerpt[:EXCERPT])
