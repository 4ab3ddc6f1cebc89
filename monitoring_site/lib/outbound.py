"""The one way this project makes outgoing HTTP requests to user-supplied URLs (SSRF-safe).

`check_url()` runs when a URL is saved: it refuses what is certainly bad (scheme, user info, port,
IP literals in any spelling, localhost, names embedding a private address, names that resolve to
one) but accepts a name that does not resolve right now (DNS may be down while the admin saves).
`post()` checks again at connect time and never fails open: it resolves the host, refuses when
resolution fails or ANY address is not public (so DNS rebinding cannot slip a private address
in), then connects to the checked address itself (pinned; SNI and Host keep the name). Redirects
are never followed, the connect timeout is 3 s, a hard deadline ends each request after 10 s
(even a receiver dripping one byte every 3 s, GitLab #280633), and at most 64 KB are read.
NOTIFY_ALLOW_PRIVATE_NETWORKS=true lifts only the address check (for local receivers).
"""

import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings

CONNECT_TIMEOUT = 3.0
DEADLINE = 10.0
MAX_BODY = 64 * 1024
# Ports of databases, caches and admin services that a webhook has no business reaching.
DENIED_PORTS = {22, 23, 25, 111, 135, 139, 445, 2375, 2376, 2379, 3306, 5432, 5672, 6379, 9200, 11211, 27017}
# Sentry's self-hosted list, plus what `is_global` misses (CGNAT, Alibaba's metadata address).
BLOCKED_NETWORKS = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
        "::/128",
    )
]
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Public wildcard names that answer 127.0.0.1 for every subdomain.
LOOPBACK_DOMAINS = ("localhost", "localtest.me", "lvh.me", "vcap.me", "fuf.me", "lacolhost.com")
# 10.0.0.1.nip.io, 10-0-0-1.sslip.io: a dotted or dashed IPv4 address inside a name.
_EMBEDDED_IPV4 = re.compile(r"(?<![0-9])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?![0-9])")


class BlockedURL(ValueError):
    """The URL or the address it resolves to may not be contacted."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_ms: float = 0.0
    tls_expires_at: datetime | None = None  # https only: the server certificate's notAfter


def unwrap(ip: ipaddress._BaseAddress) -> ipaddress._BaseAddress:
    """The IPv4 address hidden in IPv4-mapped, 6to4, Teredo and NAT64 IPv6 forms."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return ip.ipv4_mapped
        if ip.sixtofour:
            return ip.sixtofour
        if ip.teredo:
            return ip.teredo[1]
        if ip in NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    inner = unwrap(ip)
    return all(
        x.is_global and not any(x in net for net in BLOCKED_NETWORKS if net.version == x.version) for x in {ip, inner}
    )


def _private_allowed() -> bool:
    return bool(settings.NOTIFY_ALLOW_PRIVATE_NETWORKS)


def parse(url: str) -> tuple[str, str, int, str]:
    """Return (scheme, host, port, path) or raise BlockedURL for what is never allowed."""
    parts = urlsplit(url.strip())
    allowed = ("https", "http") if _private_allowed() else ("https",)
    if parts.scheme not in allowed:
        raise BlockedURL(f"only {' and '.join(allowed)} URLs are allowed")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise BlockedURL("URLs with user info (user@host) are not allowed")
    try:
        # `is None`, not `or`: an explicit :0 must be refused below, not read as "default port".
        port = parts.port if parts.port is not None else (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BlockedURL("the port is not a number between 0 and 65535") from None
    if not parts.hostname:
        raise BlockedURL("the URL has no host")
    if port in DENIED_PORTS or port == 0:
        raise BlockedURL(f"port {port} is not allowed")
    path = parts.path or "/"
    return parts.scheme, parts.hostname, port, path + (f"?{parts.query}" if parts.query else "")


def literal_address(host: str) -> ipaddress._BaseAddress | None:
    """The address an IP-literal host stands for, in every spelling the resolver accepts.

    IPv6 (brackets already stripped) and IPv4 in dotted, decimal (2130706433), hex (0x7f000001),
    octal (0177.0.0.1) and short (127.1) forms, as inet_aton reads them; None for a name.
    """
    host = host.rstrip(".")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError, UnicodeError):
        return None


def check_host(host: str) -> None:
    """Refuse, without DNS, a host that certainly is not public: IP literals, localhost, embedded IPs."""
    if _private_allowed():
        return
    name = host.lower().rstrip(".")
    address = literal_address(name)
    if address is not None:
        if not is_public(str(address)):
            raise BlockedURL(f"{host} is a private, loopback, link-local or reserved address ({address})")
        return
    if any(name == d or name.endswith("." + d) for d in LOOPBACK_DOMAINS):
        raise BlockedURL(f"{host} is a loopback name")
    for match in _EMBEDDED_IPV4.finditer(name):
        octets = [int(g) for g in match.groups()]
        if all(o <= 255 for o in octets) and not is_public(".".join(map(str, octets))):
            raise BlockedURL(f"{host} names a private address ({'.'.join(map(str, octets))})")


def _lookup(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _check_addresses(host: str, addresses: list[str]) -> None:
    if not _private_allowed():
        bad = [a for a in addresses if not is_public(a)]
        if bad:
            raise BlockedURL(f"{host} resolves to a private, loopback, link-local or reserved address ({bad[0]})")


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to, each one checked; a DNS failure is a refusal (connect time)."""
    check_host(host)
    try:
        addresses = _lookup(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise BlockedURL(f"cannot resolve {host}: {exc}") from None
    _check_addresses(host, addresses)
    return addresses


def check_url(url: str, resolve_host: bool = True) -> None:
    """Validate a URL when it is saved: refuse what is certainly bad, accept a name DNS cannot answer now.

    Scheme, user info, port, IP literals, loopback names and, when the host resolves, every address
    it resolves to. A name that does not resolve (no DNS right now, not yet created) is accepted:
    `post()` resolves again at connect time and refuses it then if it still does not resolve.
    """
    _, host, port, _ = parse(url)
    check_host(host)
    if not resolve_host or literal_address(host) is not None:
        return
    try:
        addresses = _lookup(host, port)
    except (socket.gaierror, UnicodeError, OSError):
        return
    _check_addresses(host, addresses)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = 443

    def connect(self) -> None:
        super().connect()
        self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    """POST body to url under the guard and the limits above; raise OSError/BlockedURL on failure."""
    return request("POST", url, body, headers)


def request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    deadline: float | None = None,
    user_agent: str = "monitoring-site-alerts",
) -> Response:
    """Send one request under the guard and the limits above (uptime monitors pass their own deadline)."""
    deadline = DEADLINE if deadline is None else deadline
    scheme, host, port, path = parse(url)
    address = resolve(host, port)[0]
    cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    conn = cls(host, port, address, min(CONNECT_TIMEOUT, deadline))
    started = time.monotonic()
    # The deadline closes the socket from outside: per-read timeouts cannot stop a slow drip.
    timer = threading.Timer(deadline, _abort, args=(conn,))
    timer.daemon = True
    timer.start()
    try:
        conn.request(method, path, body=body, headers={"User-Agent": user_agent, **(headers or {})})
        conn.sock.settimeout(max(0.1, deadline - (time.monotonic() - started)))
        expires = _certificate_expiry(conn.sock)
        response = conn.getresponse()
        data = b"" if method == "HEAD" else _read_capped(response, started, deadline)
        elapsed = (time.monotonic() - started) * 1000
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, data, elapsed, expires)
    except (OSError, http.client.HTTPException) as exc:
        if time.monotonic() - started >= deadline:
            raise TimeoutError(f"no complete response within {deadline:g} s") from None
        raise OSError(f"{type(exc).__name__}: {exc}") from None
    finally:
        timer.cancel()
        conn.close()


def _certificate_expiry(sock) -> datetime | None:
    if not isinstance(sock, ssl.SSLSocket):
        return None
    not_after = (sock.getpeercert() or {}).get("notAfter")
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC) if not_after else None


def _read_capped(response: http.client.HTTPResponse, started: float, deadline: float) -> bytes:
    chunks, size = [], 0
    while size < MAX_BODY:
        if time.monotonic() - started >= deadline:
            raise TimeoutError(f"no complete response within {deadline:g} s")
        chunk = response.read1(MAX_BODY - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if time.monotonic() - started >= deadline:  # the deadline timer closed the socket mid-body
        raise TimeoutError(f"no complete response within {deadline:g} s")
    return b"".join(chunks)


def _abort(conn: http.client.HTTPConnection) -> None:
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
