"""Typed dependencies of the routes: store, settings, gazetteer and accounts (opened once by the app's
lifespan), and the signed-in user with role checks."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from mzgis.errors import NotSignedIn
from mzgis.gazetteer.service import Gazetteer
from mzgis.settings import Settings
from mzgis.store import Store
from mzgis.users import Role, User, Users, require

__all__ = [
    "AccountHolderDep",
    "AdminDep",
    "EditorDep",
    "GazetteerDep",
    "PlannerDep",
    "SettingsDep",
    "SignedInDep",
    "StoreDep",
    "TokenDep",
    "UsersDep",
    "ViewerDep",
    "authorize_first",
    "client_of",
    "get_settings",
    "get_store",
    "read_access",
]


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_gazetteer(request: Request) -> Gazetteer:
    gaz: Gazetteer = request.app.state.gazetteer
    return gaz


def get_users(request: Request) -> Users:
    users: Users = request.app.state.users
    return users


def credentials(
    authorization: Annotated[str | None, Header(description="Bearer <令牌>,或 Basic(用户名:密码或令牌)")] = None,
) -> tuple[str, str] | None:
    """The request's credentials as (scheme, value), or None without an Authorization header: ``bearer``
    and a token, or ``basic`` and ``name:secret``; any other form is NotSignedIn."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return "bearer", value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        if ":" in decoded:
            return "basic", decoded
    raise NotSignedIn(
        "请求头 Authorization 应为“Bearer 令牌”或 HTTP Basic(用户名:密码)", "Authorization must be Bearer or Basic"
    )


CredentialsDep = Annotated[tuple[str, str] | None, Depends(credentials)]


def bearer_token(creds: CredentialsDep) -> str | None:
    """The request's bearer token (None without one, or with Basic credentials)."""
    return creds[1] if creds is not None and creds[0] == "bearer" else None


TokenDep = Annotated[str | None, Depends(bearer_token)]


def client_of(request: Request) -> str:
    """The client's address as the server sees it (behind a reverse proxy: the proxy's)."""
    return request.client.host if request.client else "unknown"


def signed_in(request: Request, creds: CredentialsDep) -> User | None:
    """The user of the request's credentials, or None without any; invalid ones are NotSignedIn. Looked up
    once per request (a Basic password is hashed once, a 403 is logged without asking the store again)."""
    if creds is None:
        return None
    known = getattr(request.state, "signed_in", None)  # asked again by authorize_first and a refusal's log
    if known is not None and known[0] == creds:
        return known[1]  # type: ignore[no-any-return]
    users = get_users(request)
    if creds[0] == "bearer":
        user = users.resolve(creds[1])
    else:
        name, _, secret = creds[1].partition(":")
        user = users.basic(name, secret, client=client_of(request))
    request.state.signed_in = (creds, user)
    return user


SignedInDep = Annotated[User | None, Depends(signed_in)]


def read_access(request: Request, user: SignedInDep) -> None:
    """Reads are open to anyone when the settings say so; otherwise they need a signed-in viewer."""
    if not get_settings(request).open_reads:
        require(user, "viewer")


def _role(role: Role, *, password_pending: bool = False) -> Callable[[User | None], User]:
    def dependency(user: SignedInDep) -> User:
        return require(user, role, password_pending=password_pending)

    dependency.required_role = role  # type: ignore[attr-defined]  # read by authorize_first
    dependency.password_pending = password_pending  # type: ignore[attr-defined]
    return dependency


def _dependencies(dependant: Any) -> list[Any]:
    found = []
    for sub in getattr(dependant, "dependencies", []):
        found += [sub.call, *_dependencies(sub)]
    return found


def authorize_first(request: Request) -> None:
    """The role a route needs, checked from the request's credentials alone: a request that fails both its
    role and the validation of its body is told it may not (401, 403), not what was wrong with its body."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    calls = _dependencies(dependant)
    roles = [(c.required_role, c.password_pending) for c in calls if hasattr(c, "required_role")]
    reads = any(c is read_access for c in calls) and not get_settings(request).open_reads
    if not roles and not reads:
        return
    user = signed_in(request, credentials(request.headers.get("authorization")))
    for role, pending in roles or [("viewer", False)]:
        require(user, role, password_pending=pending)


GazetteerDep = Annotated[Gazetteer, Depends(get_gazetteer)]
UsersDep = Annotated[Users, Depends(get_users)]
ViewerDep = Annotated[User, Depends(_role("viewer"))]
PlannerDep = Annotated[User, Depends(_role("planner"))]
EditorDep = Annotated[User, Depends(_role("editor"))]
AdminDep = Annotated[User, Depends(_role("admin"))]
# the signed-in user even while a password change is pending: who is signed in, signing out, changing it
AccountHolderDep = Annotated[User, Depends(_role("viewer", password_pending=True))]
