"""The hub POSTs to URLs people type, so every address is checked (SSRF).

An endpoint's URL is refused at save time, and again before every delivery, when its
host resolves to an address that is not public: loopback, private, link-local (cloud
metadata at 169.254.169.254), multicast, reserved, unspecified, shared (100.64/10), or
an IPv6 form of one of those. The delivery then connects to the address that was
checked, not to the name again (a second lookup could answer differently: DNS
rebinding), sending the URL's host in the Host header and, for https, in SNI and the
certificate check. Redirects are never followed (http.client does not follow them).

`WEBHOOK_ALLOW_PRIVATE_NETWORKS=true` turns the address check off, for development and
tests, whose receivers listen on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from socket import getaddrinfo
from urllib.parse import urlsplit

from django.conf import settings

TIMEOUT_SECONDS = 15.0
RESPONSE_KEPT_BYTES = 2048
_RESPONSE_READ_LIMIT = 64 * 1024


class UnsafeURL(Exception):
    """A URL the hub will not POST to; the message is written for people."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            ip = mapped
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP to connect to


def check_url_shape(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a URL the hub may POST to, or UnsafeURL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeURL("Enter a valid URL, like https://example.com/webhooks.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("Enter a valid URL, like https://example.com/webhooks.")
    if scheme == "http" and not (settings.DEBUG or settings.WEBHOOK_ALLOW_HTTP):
        raise UnsafeURL("Use an https:// URL: events carry your customers' data.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("Leave the user name and password out of the URL.")
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def resolve(url: str) -> Target:
    """Checks the URL and resolves its host to one address the hub may connect to.
    Raises UnsafeURL when it can't be resolved or resolves to a non-public address."""
    scheme, host, port, path = check_url_shape(url)
    try:
        infos = getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeURL(f"The host {host} could not be found.") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise UnsafeURL(f"The host {host} could not be found.")
    if not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        for address in addresses:
            if not _is_public(address):
                raise UnsafeURL(
                    f"{host} points to a private or local network address ({address}); "
                    "the hub only sends events to public addresses."
                )
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


def check_url(url: str) -> None:
    """Save-time check: raises UnsafeURL with a message for people."""
    resolve(url)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # SNI and the certificate check use the URL's host, not the address.
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def _text(content: bytes) -> str:
    """An answer's bytes as text the database can store: invalid UTF-8 and NUL bytes
    (which PostgreSQL refuses in text, failing the whole batch's record) become U+FFFD."""
    return content.decode("utf-8", "replace").replace("\x00", "\ufffd")


@dataclass(frozen=True)
class Response:
    status_code: int | None
    body: str
    duration_ms: int
    error: str


class Poster:
    """POSTs signed bodies, keeping one connection per checked address open for the
    next delivery to the same place (a worker's run).

    A URL is resolved and checked before its first POST after `recheck()`, which a
    worker calls before each batch it claims: the check stays at delivery time, without
    a DNS lookup per POST, and every connection goes to the address that was checked."""

    def __init__(self, timeout: float = TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._connections: dict[tuple[str, str, int, str], http.client.HTTPConnection] = {}
        self._targets: dict[str, Target | UnsafeURL] = {}

    def recheck(self) -> None:
        """Forget the checked addresses: the next POST to each URL resolves it again."""
        self._targets.clear()

    def _target(self, url: str) -> Target | UnsafeURL:
        target = self._targets.get(url)
        if target is None:
            try:
                target = resolve(url)
            except UnsafeURL as exc:
                target = exc
            self._targets[url] = target
        return target

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Response:
        started = time.monotonic()
        target = self._target(url)
        if isinstance(target, UnsafeURL):
            return Response(None, "", 0, str(target))
        key = (target.scheme, target.host, target.port, target.address)
        for retry_stale in (True, False):
            conn = self._connections.get(key)
            reused = conn is not None
            if conn is None:
                cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
                conn = cls(target, self.timeout)
                self._connections[key] = conn
            try:
                conn.request(
                    "POST",
                    target.path,
                    body=body,
                    headers={**headers, "Content-Type": "application/json"},
                )
                answer = conn.getresponse()
                content = answer.read(_RESPONSE_READ_LIMIT)
                if answer.will_close or not answer.isclosed():
                    self._drop(key)
                elapsed = time.monotonic() - started
                text = _text(content[:RESPONSE_KEPT_BYTES])
                if elapsed > self.timeout:
                    return Response(
                        answer.status, text, int(elapsed * 1000), "No answer within 15 seconds."
                    )
                return Response(answer.status, text, int(elapsed * 1000), "")
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self._drop(key)
                if reused and retry_stale:
                    continue  # the kept connection had been closed by the receiver
                return self._failure(started, exc)
            except (OSError, http.client.HTTPException) as exc:
                self._drop(key)
                return self._failure(started, exc)
        raise AssertionError("unreachable")  # pragma: no cover

    def _failure(self, started: float, exc: BaseException) -> Response:
        elapsed = int((time.monotonic() - started) * 1000)
        if isinstance(exc, TimeoutError | socket.timeout):
            message = "No answer within 15 seconds."
        elif isinstance(exc, ConnectionRefusedError):
            message = "Connection refused."
        elif isinstance(exc, ssl.SSLError):
            message = f"TLS error: {exc.reason or exc}"
        else:
            message = f"{type(exc).__name__}: {exc}"
        return Response(None, "", elapsed, message.replace("\x00", "\ufffd")[:500])

    def _drop(self, key: tuple[str, str, int, str]) -> None:
        conn = self._connections.pop(key, None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for key in list(self._connections):
            self._drop(key)
