"""One JSON POST to an HTTP endpoint for the built-in HTTP notifiers (SMS gateway, webhooks),
with the standard library only: redirects are never followed (an answer other than 2xx), and
every failure becomes a :class:`DeliveryError` whose text names the endpoint (``label``) and
says why — shown to operators, so it never carries a URL's token."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from iocvn.notify.hooks import DeliveryError

MAX_ANSWER = 64 * 1024  # bytes of an answer read


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer other than 2xx: never re-sent elsewhere (nor turned into GET)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float,
    label: str,
    detail: Callable[[bytes], str] | None = None,
) -> bytes:
    """POST ``body`` to ``url`` (an http(s) URL, checked by the caller); the answer of a 2xx.
    ``detail`` turns an error answer's start into text for the reason (none: left out)."""
    request = urllib.request.Request(  # noqa: S310 - the callers check the scheme
        url, data=body, headers=dict(headers), method="POST"
    )
    late = f"{label} did not answer within {timeout:g} s"
    try:
        with _OPENER.open(request, timeout=timeout) as reply:
            status, answer = reply.status, bytes(reply.read(MAX_ANSWER))
    except urllib.error.HTTPError as exc:
        said = f" {detail(exc.read(2000) if exc.fp else b'')}" if detail else ""
        raise DeliveryError(f"{label}: HTTP {exc.code}{said}") from exc
    except TimeoutError as exc:
        raise DeliveryError(late) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise DeliveryError(late) from exc
        raise DeliveryError(f"{label} unreachable: {exc.reason}") from exc
    except (OSError, http.client.HTTPException) as exc:  # a reset or a cut answer, say
        raise DeliveryError(f"{label}: {exc}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"{label}: HTTP {status}")
    return answer


def provider_id(answer: bytes, keys: Sequence[str] = ("id",)) -> str | None:
    """The message id in a JSON answer (the first of ``keys`` present), if any."""
    try:
        data = json.loads(answer) if answer.strip() else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            return str(value)
    return None
