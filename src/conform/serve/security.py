"""What keeps the local page safe by construction: a secret token on every request, a CSRF token on every form, a
strict content policy on every response and a limit on what a request may send.

The token works as Jupyter's does: the address printed at start carries it; the first request with it sets a
cookie (HttpOnly, SameSite=Strict) and is sent on to the same address without it, so that it stays out of the
browser's history; every request without the cookie or the token is refused with 403.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_COOKIE = "conform_token"
# The service's own pages: its stylesheet only; no script, no frame, forms only to itself.
PAGE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
               "frame-ancestors 'none'; base-uri 'none'")
# A report or comparison as it is downloaded: its inline stylesheet only, in a sandbox that runs nothing.
DOCUMENT_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; "
                   "frame-ancestors 'none'; base-uri 'none'; sandbox")
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
           (b"cross-origin-opener-policy", b"same-origin"), (b"cross-origin-resource-policy", b"same-origin"),
           (b"cache-control", b"no-store")]
FORBIDDEN = ("403: öppna sidan med adressen som conform serve skrev ut (den innehåller nyckeln).\n"
             "403: open the page with the address conform serve printed (it holds the key).\n")


class TokenGate:
    """Refuses every request that carries neither the cookie nor the token, and sets the security headers."""

    def __init__(self, app: ASGIApp, token: str):
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        cookie = connection.cookies.get(TOKEN_COOKIE)
        given = connection.query_params.get("token")
        if given is not None and hmac.compare_digest(given.encode(), self.token.encode()):
            rest = [(k, v) for k, v in connection.query_params.multi_items() if k != "token"]
            target = connection.url.path + ("?" + urlencode(rest) if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict", path="/")
            await _secured(response)(scope, receive, send)
            return
        if cookie is None or not hmac.compare_digest(cookie.encode(), self.token.encode()):
            await _secured(PlainTextResponse(FORBIDDEN, status_code=403))(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", PAGE_POLICY.encode()))
                headers += [h for h in HEADERS if h[0] not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_secured)


def _secured(response):
    response.headers["content-security-policy"] = PAGE_POLICY
    for name, value in HEADERS:
        response.headers[name.decode()] = value.decode()
    return response


class TooLarge(Exception):
    """A request body beyond the upload limit."""


class BodyLimit:
    """Ends a request whose body exceeds `limit` bytes: at once when it declares so, else when the bytes counted
    pass it (raising :class:`TooLarge`, which the app answers with 413)."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await too_large_response(self.limit)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise TooLarge
            return message

        await self.app(scope, counted, send)


def too_large_response(limit: int) -> PlainTextResponse:
    mib = limit // (1 << 20)
    return _secured(PlainTextResponse(f"413: uppladdningen är större än {mib} MiB (conform serve --max-upload).\n"
                                      f"413: the upload is larger than {mib} MiB (conform serve --max-upload).\n",
                                      status_code=413))


def same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
