"""The Dataverse Web API over HTTPS, authenticated with Microsoft Entra ID client credentials.

Tokens come from MSAL (`ConfidentialClientApplication.acquire_token_for_client`, scope
`<org url>/.default`), with a client secret or a certificate. Requests send OData 4.0 headers and
`Prefer: odata.track-changes, odata.maxpagesize=N`. Service protection limits (429, and 503)
are waited out for as long as `Retry-After` says, within a budget; an expired or revoked token
(401) is dropped from MSAL's cache and acquired again once. Anything else that stops the sync
raises `DataverseError` with a message for a person.
"""

import asyncio
import email.utils
import functools
import json
import ssl
import time
from pathlib import Path
from typing import Any

import httpx
import msal
import requests

from graphsvc.config import Settings

API_PATH = "/api/data/v9.2"
THROTTLED = (429, 503)


class DataverseError(Exception):
    """The sync cannot go on; the message says why and what to do."""


def retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(when.timestamp() - time.time(), 0.0)


def _certificate_credential(path: Path, password: str | None) -> dict[str, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    pem = path.read_bytes()
    cert = x509.load_pem_x509_certificate(pem)
    credential: dict[str, Any] = {
        "private_key": pem.decode(),
        "thumbprint": cert.fingerprint(hashes.SHA1()).hex(),
    }
    if password:
        credential["passphrase"] = password
    return credential


def _http_session(settings: Settings) -> requests.Session:
    """MSAL's HTTP client. The CA bundle goes on every request: requests lets
    REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session-wide `verify`."""
    session = requests.Session()
    options: dict[str, Any] = {"timeout": settings.dataverse_timeout}
    if settings.dataverse_ca_bundle:
        options["verify"] = str(settings.dataverse_ca_bundle)
    session.request = functools.partial(session.request, **options)  # type: ignore[method-assign]
    return session


class TokenSource:
    """Client-credentials tokens for one org through MSAL (its cache, its refresh)."""

    def __init__(self, settings: Settings, org_url: str) -> None:
        if not settings.dataverse_tenant_id or not settings.dataverse_client_id:
            raise DataverseError(
                "set GRAPHSVC_DATAVERSE_TENANT_ID and GRAPHSVC_DATAVERSE_CLIENT_ID (the app "
                "registration's directory and application ids); see README 'Dataverse sync'"
            )
        secret = settings.dataverse_client_secret.get_secret_value()
        cert = settings.dataverse_certificate_path
        if not secret and not cert:
            raise DataverseError(
                "set GRAPHSVC_DATAVERSE_CLIENT_SECRET or GRAPHSVC_DATAVERSE_CERTIFICATE_PATH"
            )
        credential: Any = secret
        if cert:
            try:
                credential = _certificate_credential(
                    cert, settings.dataverse_certificate_password.get_secret_value() or None
                )
            except (OSError, ValueError) as exc:
                raise DataverseError(f"cannot read the certificate {cert}: {exc}") from None
        authority = (
            f"{settings.dataverse_authority_host.rstrip('/')}/{settings.dataverse_tenant_id}"
        )
        self.scopes = [f"{org_url}/.default"]
        try:
            self.app = msal.ConfidentialClientApplication(
                settings.dataverse_client_id,
                client_credential=credential,
                authority=authority,
                http_client=_http_session(settings),
                # Only for an authority that is not Microsoft's (a test or sovereign set-up).
                instance_discovery=settings.dataverse_instance_discovery,
                validate_authority=settings.dataverse_instance_discovery,
            )
        except ValueError as exc:
            raise DataverseError(f"Entra ID authority {authority}: {exc}") from None
        except Exception as exc:  # requests' connection errors, raised during discovery
            raise DataverseError(
                f"cannot reach the Entra ID authority {authority}: {exc}"
            ) from None

    def _acquire(self) -> str:
        try:
            result = self.app.acquire_token_for_client(scopes=self.scopes)
        except Exception as exc:  # requests' connection errors
            raise DataverseError(f"cannot reach Entra ID for a token: {exc}") from None
        if "access_token" not in result:
            raise DataverseError(
                f"Entra ID refused a token: {result.get('error')}: "
                f"{str(result.get('error_description', '')).splitlines()[0][:300]} "
                "(check the tenant id, client id and secret or certificate)"
            )
        return str(result["access_token"])

    async def token(self) -> str:
        return await asyncio.to_thread(self._acquire)

    def drop_cached(self) -> None:
        """Forget cached access tokens, so the next `token()` asks Entra ID for a new one."""
        cache = self.app.token_cache
        for entry in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
            cache.remove_at(entry)


class DataverseClient:
    def __init__(self, settings: Settings, org_url: str, tokens: TokenSource | None = None) -> None:
        self.org_url = org_url.rstrip("/")
        self.settings = settings
        self.tokens = tokens or TokenSource(settings, self.org_url)
        verify: Any = True
        if settings.dataverse_ca_bundle:
            try:
                verify = ssl.create_default_context(cafile=str(settings.dataverse_ca_bundle))
            except (OSError, ssl.SSLError) as exc:
                bundle = settings.dataverse_ca_bundle
                raise DataverseError(f"cannot read the CA bundle {bundle}: {exc}") from None
        self.http = httpx.AsyncClient(verify=verify, timeout=settings.dataverse_timeout)
        self.waited = 0.0  # seconds spent honouring Retry-After, for the summary
        self.throttled = 0

    async def __aenter__(self) -> "DataverseClient":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.http.aclose()

    def initial_url(self, table: str) -> str:
        return f"{self.org_url}{API_PATH}/{table}"

    def _headers(self, token: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "OData-Version": "4.0",
            "OData-MaxVersion": "4.0",
            "Prefer": f"odata.track-changes, odata.maxpagesize={self.settings.dataverse_page_size}",
        }

    async def page(self, url: str) -> dict[str, Any]:
        """GET one change-tracking page (the first, a next link or a delta link)."""
        if not url.startswith(self.org_url + "/"):
            raise DataverseError(f"refusing to follow a link outside {self.org_url}: {url[:200]}")
        renewed = False
        attempts = 0
        while True:
            token = await self.tokens.token()
            try:
                response = await self.http.get(url, headers=self._headers(token))
            except httpx.HTTPError as exc:
                attempts += 1
                if attempts > self.settings.dataverse_max_retries:
                    raise DataverseError(f"cannot reach {self.org_url}: {exc}") from None
                await asyncio.sleep(min(2.0**attempts, 30.0))
                continue
            if response.status_code in THROTTLED:
                attempts += 1
                wait = retry_after(response.headers.get("Retry-After"), min(2.0**attempts, 60.0))
                if (
                    attempts > self.settings.dataverse_max_retries
                    or self.waited + wait > self.settings.dataverse_max_wait
                ):
                    raise DataverseError(
                        f"Dataverse keeps answering {response.status_code} (service protection "
                        f"limits) after {attempts} attempts and {self.waited:.0f} s of waiting; "
                        f"run the same command later: it resumes from the last committed page"
                    )
                self.throttled += 1
                self.waited += wait
                await asyncio.sleep(wait)
                continue
            if response.status_code == 401 and not renewed:
                renewed = True  # an expired or revoked token: get a fresh one, once
                self.tokens.drop_cached()
                continue
            if response.status_code >= 400:
                raise DataverseError(self._refusal(response))
            try:
                doc = response.json()
            except json.JSONDecodeError:
                raise DataverseError(f"{url[:200]}: the answer is not JSON") from None
            if not isinstance(doc, dict):
                raise DataverseError(f"{url[:200]}: the answer is not a JSON object")
            return doc

    def _refusal(self, response: httpx.Response) -> str:
        try:
            error = response.json().get("error", {})
            message = f"{error.get('code', '')} {error.get('message', '')}".strip()
        except (ValueError, AttributeError):
            message = response.text[:300]
        hint = {
            401: "the token was refused: is there an application user for the app registration?",
            403: "the application user lacks privileges: give it a security role that reads "
            "the table",
            404: "unknown table or org URL",
        }.get(response.status_code, "")
        return (
            f"Dataverse answered {response.status_code} for {str(response.url)[:200]}: "
            f"{message[:300]}{'; ' + hint if hint else ''}"
        )
