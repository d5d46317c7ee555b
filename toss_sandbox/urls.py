"""URLs as the sandbox sees them, whether it runs alone or mounted under a prefix."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.requests import Request


def route_path(request: Request) -> str:
    """The request path below the sandbox's own root (`/v1/...` even when mounted)."""
    path: str = request.scope["path"]
    root_path: str = request.scope.get("root_path", "")
    if root_path and path.startswith(root_path) and path[len(root_path) :].startswith("/"):
        return path[len(root_path) :]
    return path


def base_url(request: Request, public_base_url: str | None) -> str:
    """Where the sandbox is reachable, without a trailing slash.

    `request.base_url` is the top-level app's root, not a mount's, so the mount prefix
    comes from `root_path`.
    """
    if public_base_url:
        return public_base_url.rstrip("/")
    url = request.url
    root_path: str = request.scope.get("root_path", "")
    return f"{url.scheme}://{url.netloc}{root_path}".rstrip("/")


def with_query(url: str, params: list[tuple[str, str]]) -> str:
    """`url` with `params` appended, its own query and fragment kept byte for byte."""
    parts = urlsplit(url)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))
