"""Where an OpenAI-compatible server is reached, checked before anything starts: the base URL,
plain HTTP only to this machine, the certificates that TLS trusts; and the credentials that must
never be shown, in every form a server may echo them. Shared by the API engine
(transcribe/api.py) and the text stage's rewrite (text/rewrite.py), so it sits below both and
imports only the text stage's sanitiser, which imports nothing of dictation."""

from __future__ import annotations

import base64
import ipaddress
import json
import ssl
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from dictation.errors import ConfigError
from dictation.text.sanitize import sanitize


def normalize_base_url(url: str) -> str:
    """Accept ``host``, ``host/v1`` or a full ``…/audio/transcriptions`` URL."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = f"https://{url}"
    parts = urlsplit(url)
    try:
        bad_port = parts.port is not None and not 0 < parts.port < 65536
    except ValueError:  # not a number
        bad_port = True
    if bad_port or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"base URL must be http(s)://host[:port]/path, got '{redact_url(url)}'")
    path = parts.path.removesuffix("/audio/transcriptions")
    return urlunsplit((parts.scheme, parts.netloc, path or "/v1", "", ""))


def redact_url(url: str) -> str:
    """The URL without user:password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: traffic that never leaves this machine."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        addr = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    mapped = getattr(addr, "ipv4_mapped", None)
    return addr.is_loopback or bool(mapped and mapped.is_loopback)


def check_endpoint(base_url: str, allow_insecure_http: bool = False) -> str:
    """The normalised base URL; plain http:// is refused unless the server is this machine
    (the audio and the API key would cross the network in clear)."""
    url = normalize_base_url(base_url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(host):
        raise ConfigError(f"refusing to send audio and the API key in clear to {host} over "
                          "http://: use https://, or --allow-insecure-http if the network is "
                          "trusted")
    return url


def tls_context(ca_cert: Path | None) -> ssl.SSLContext:
    """The certificates TLS trusts: httpx's (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), plus
    ``ca_cert`` for a private CA or a self-signed server."""
    import httpx

    try:
        ctx = httpx.create_ssl_context()
    except OSError as err:  # ssl.SSLError included
        raise ConfigError("cannot load the CA certificates named by SSL_CERT_FILE or "
                          f"SSL_CERT_DIR: {err.strerror or err}") from None
    if ca_cert is not None:
        try:
            ctx.load_verify_locations(cafile=str(ca_cert))
        except ssl.SSLError:  # before OSError, its base class
            raise ConfigError(f"CA certificate {ca_cert} holds no PEM certificate") from None
        except OSError as err:
            raise ConfigError(f"cannot read CA certificate {ca_cert}: "
                              f"{err.strerror or err}") from None
    return ctx


def credentials(api_key: str | None, url: str) -> list[str]:
    """Every form in which a credential may come back: the key, a URL's password, and the
    Basic credentials httpx builds from the URL's user:password."""
    parts = urlsplit(url)
    found = [api_key or ""]
    if parts.password:
        user, password = unquote(parts.username or ""), unquote(parts.password)
        found += [parts.password, password,
                  base64.b64encode(f"{user}:{password}".encode()).decode()]
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def scrub(text: str, secrets: Sequence[str]) -> str:
    """Server or library text for a message: no credential, no controls, one short line."""
    for secret in secrets:
        text = text.replace(secret, "***")
    text = sanitize(text)
    return text if len(text) <= 160 else text[:157] + "…"


def unsecret(body: bytes, secrets: Sequence[str]) -> bytes:
    """A body with any credential it echoes blanked, before it is parsed or shortened."""
    for secret in secrets:
        body = body.replace(secret.encode(), b"***")
    return body


def server_message(raw: bytes, secrets: Sequence[str]) -> str:
    """The message in an error body, in the shapes servers use (OpenAI's ``error.message``,
    FastAPI's ``detail``, a bare string), else the body itself; read from its first 4 kB."""
    body = unsecret(raw[:4096], secrets).decode("utf-8", "replace")
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return scrub(body, secrets)
    for probe in (data, data.get("error") if isinstance(data, dict) else None,
                  data.get("detail") if isinstance(data, dict) else None):
        if isinstance(probe, str):
            return scrub(probe, secrets)
        if isinstance(probe, dict):
            for key in ("message", "error", "detail"):
                if isinstance(probe.get(key), str):
                    return scrub(probe[key], secrets)
            if isinstance(probe.get("error"), dict) and "message" in probe["error"]:
                return scrub(str(probe["error"]["message"]), secrets)
    return scrub(body, secrets)


def cert_error(err: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate failure behind a connection error, if that is what it was."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
