"""A local Dataverse org and Entra ID token endpoint over HTTPS, for the sync tests.

It replays the documented wire formats (no graphsvc code is used to produce them):
- Entra ID (v2.0 endpoints, as MSAL Python calls them with instance discovery off):
  `GET /{tenant}/v2.0/.well-known/openid-configuration` and
  `POST /{tenant}/oauth2/v2.0/token` (`grant_type=client_credentials`, `client_id`,
  `client_secret`, `scope=<org>/.default`) answering `{"token_type": "Bearer", "expires_in",
  "access_token"}` or `{"error": "invalid_client", "error_description": "AADSTS7000215: ..."}`.
- Dataverse Web API change tracking ("Use change tracking to synchronize data with external
  systems"): `GET /api/data/v9.2/<table>` with `Prefer: odata.track-changes` answers the rows
  with `@odata.context` `<org>/api/data/v9.2/$metadata#<table>`, paged by
  `Prefer: odata.maxpagesize=N` with `@odata.nextLink`, the last page carrying
  `@odata.deltaLink` (`...?$deltatoken=<version>%21<time>`). The delta link answers the changes
  since (`#<table>/$delta`): new and changed rows in full, deleted rows as
  `{"@odata.context": "<org>/api/data/v9.2/$metadata#<table>/$deletedEntity", "id",
  "reason": "deleted"}`.
- Service protection: `429` with `Retry-After: <seconds>` and a Web API error body; an expired
  token: `401` with `WWW-Authenticate: Bearer error="invalid_token"`.

The org is a list of states (table -> {id: row}); `advance()` moves to the next one. A step may
hide rows from its delta (a change seen on one twin only) and add deletes of ids never seen.

Over ~300 lines on purpose: the documented wire formats of two services, replayed in one place.
"""

import datetime as dt
import json
import ssl
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "66666666-7777-8888-9999-000000000000"
SECRET = "local-test-secret"
API = "/api/data/v9.2"
Rows = dict[str, dict[str, Any]]
State = dict[str, Rows]


def make_tls(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("graphsvc test CA"))
        .issuer_name(name("graphsvc test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def make_client_certificate(directory: Path) -> tuple[Path, x509.Certificate]:
    """An app registration's certificate: one PEM with the RSA private key and the certificate
    (what GRAPHSVC_DATAVERSE_CERTIFICATE_PATH takes), and the certificate the tenant holds."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "graphsvc-sync")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    path = directory / "client.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    return path, cert


def _assertion_ok(assertion: str, cert: x509.Certificate, audience: str) -> bool:
    """A client assertion (RFC 7523) as Entra ID checks it: signed with the registered
    certificate's key (named by its SHA-1 thumbprint, `x5t`), for the token endpoint."""
    import base64

    import jwt

    header = jwt.get_unverified_header(assertion)
    x5t = base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA1())).decode().rstrip("=")
    if str(header.get("x5t", "")).rstrip("=") != x5t:  # MSAL keeps the base64 padding
        return False
    try:
        claims = jwt.decode(
            assertion,
            cert.public_key(),  # type: ignore[arg-type]
            algorithms=["RS256", "PS256"],
            audience=audience,
        )
    except jwt.InvalidTokenError:
        return False
    return bool(claims.get("iss") == claims.get("sub") == CLIENT_ID)


@dataclass
class Step:
    state: State
    hidden: dict[str, set[str]] = field(default_factory=dict)  # table -> ids left out of the delta
    ghost_deletes: dict[str, list[str]] = field(default_factory=dict)  # deletes of unseen ids


@dataclass
class Org:
    steps: list[Step]
    current: int = 0
    tokens_issued: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    throttle: dict[str, int] = field(default_factory=dict)  # table -> 429s still to answer
    retry_after: int = 1
    hold: dict[str, int] = field(default_factory=dict)  # table -> request number to block on
    expire_at: dict[str, int] = field(
        default_factory=dict
    )  # table -> request that finds the token expired
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    log: list[tuple[float, int, str]] = field(default_factory=list)  # (time, status, path)
    requests: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    client_certificate: x509.Certificate | None = None

    def advance(self) -> None:
        self.current += 1

    def expire_tokens(self) -> None:
        self.valid_tokens.clear()

    @property
    def state(self) -> State:
        return self.steps[self.current].state

    def changes(self, table: str, since: int, upto: int) -> list[dict[str, Any]]:
        old = self.steps[since].state.get(table, {})
        new = self.steps[upto].state.get(table, {})
        hidden = self.steps[upto].hidden.get(table, set()) if upto == since + 1 else set()
        items: list[dict[str, Any]] = [
            row for key, row in new.items() if old.get(key) != row and key not in hidden
        ]
        deleted = [key for key in old if key not in new and key not in hidden]
        deleted += self.steps[upto].ghost_deletes.get(table, []) if upto == since + 1 else []
        return items + [{"$deleted": key} for key in deleted]


def _etag(row: dict[str, Any]) -> str:
    version = abs(hash(json.dumps(row, sort_keys=True))) % 10_000_000
    return f'W/"{version}"'


class Handler(BaseHTTPRequestHandler):
    server: "OrgServer"

    def log_message(self, *_: Any) -> None:
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; odata.metadata=minimal")
        self.send_header("OData-Version", "4.0")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with self.server.org.lock:
            self.server.org.log.append((dt.datetime.now().timestamp(), status, self.path))

    # -- Entra ID ---------------------------------------------------------------------------
    def do_POST(self) -> None:
        org, base = self.server.org, self.server.base
        if self.path != f"/{TENANT}/oauth2/v2.0/token":
            self._send(404, {"error": "not_found"})
            return
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        one = {k: v[0] for k, v in form.items()}
        if one.get("grant_type") != "client_credentials" or one.get("scope") != f"{base}/.default":
            self._send(400, {"error": "invalid_request", "error_description": "AADSTS900144"})
            return
        assertion = one.get("client_assertion")
        by_certificate = (
            org.client_certificate is not None
            and assertion is not None
            and one.get("client_assertion_type")
            == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            and _assertion_ok(
                assertion, org.client_certificate, f"{base}/{TENANT}/oauth2/v2.0/token"
            )
        )
        if one.get("client_id") != CLIENT_ID or not (
            by_certificate or one.get("client_secret") == SECRET
        ):
            self._send(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided. "
                    "Ensure the secret being sent in the request is the client secret value, "
                    "not the client secret ID.",
                },
            )
            return
        with org.lock:
            org.tokens_issued += 1
            token = f"token-{org.tokens_issued}"
            org.valid_tokens.add(token)
        self._send(
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            },
        )

    # -- Dataverse --------------------------------------------------------------------------
    def do_GET(self) -> None:
        org, base = self.server.org, self.server.base
        url = urllib.parse.urlsplit(self.path)
        if url.path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
            self._send(
                200,
                {
                    "token_endpoint": f"{base}/{TENANT}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{base}/{TENANT}/oauth2/v2.0/authorize",
                    "issuer": f"{base}/{TENANT}/v2.0",
                },
            )
            return
        if not url.path.startswith(API + "/"):
            self._send(404, {"error": {"code": "0x80060888", "message": "Resource not found"}})
            return
        table = url.path[len(API) + 1 :]
        with org.lock:
            org.requests[table] = org.requests.get(table, 0) + 1
            number = org.requests[table]
            if org.expire_at.get(table) == number:
                org.valid_tokens.clear()
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in org.valid_tokens:
            self._send(
                401,
                {"error": {"code": "0x80072560", "message": "The access token has expired"}},
                {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'},
            )
            return
        prefer = self.headers.get("Prefer", "")
        if "odata.track-changes" not in prefer or self.headers.get("OData-Version") != "4.0":
            self._send(400, {"error": {"code": "0x0", "message": "expected change tracking"}})
            return
        with org.lock:
            throttled = org.throttle.get(table, 0) > 0
            if throttled:
                org.throttle[table] -= 1
        if throttled:
            self._send(
                429,
                {
                    "error": {
                        "code": "0x80072322",
                        "message": "Number of requests exceeded the limit of 6000 over time "
                        "window of 300 seconds.",
                    }
                },
                {"Retry-After": str(org.retry_after)},
            )
            return
        if org.hold.get(table) == number:
            org.holding.set()
            org.release.wait(60)
        size = 5000
        for part in prefer.split(","):
            if part.strip().startswith("odata.maxpagesize="):
                size = int(part.strip().split("=", 1)[1])
        query = urllib.parse.parse_qs(url.query)
        upto, since, offset = org.current, None, 0
        if "$skiptoken" in query:
            since_text, upto_text, offset_text = query["$skiptoken"][0].split(".")
            since = int(since_text) if since_text != "-" else None
            upto, offset = int(upto_text), int(offset_text)
        elif "$deltatoken" in query:
            since = int(query["$deltatoken"][0].split("!")[0])
        if since is None:
            items = list(org.steps[upto].state.get(table, {}).values())
            context = f"{base}{API}/$metadata#{table}"
        else:
            items = org.changes(table, since, upto)
            context = f"{base}{API}/$metadata#{table}/$delta"
        chunk = items[offset : offset + size]
        value = [
            {
                "@odata.context": f"{base}{API}/$metadata#{table}/$deletedEntity",
                "id": item["$deleted"],
                "reason": "deleted",
            }
            if "$deleted" in item
            else {"@odata.etag": _etag(item), **item}
            for item in chunk
        ]
        body: dict[str, Any] = {"@odata.context": context, "value": value}
        if offset + size < len(items):
            token = f"{'-' if since is None else since}.{upto}.{offset + size}"
            body["@odata.nextLink"] = f"{base}{API}/{table}?$skiptoken={token}"
        else:
            stamp = urllib.parse.quote(
                f"{upto}!{dt.datetime.now(dt.UTC):%m/%d/%Y %H:%M:%S}", safe=""
            )
            body["@odata.deltaLink"] = f"{base}{API}/{table}?$deltatoken={stamp}"
        self._send(200, body)


class OrgServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, org: Org, tls: tuple[Path, Path, Path]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.org = org
        self.base = f"https://127.0.0.1:{self.server_address[1]}"
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls[1], tls[2])
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self) -> "OrgServer":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.org.release.set()
        self.shutdown()
        self.server_close()


def export_file(path: Path, base: str, table: str, rows: Rows) -> Path:
    """The table as a full Web API export (what `graphsvc load --format dataverse` reads)."""
    doc = {"@odata.context": f"{base}{API}/$metadata#{table}", "value": list(rows.values())}
    path.write_text(json.dumps(doc, indent=1), "utf-8")
    return path


Mutation = Callable[[State], None]
