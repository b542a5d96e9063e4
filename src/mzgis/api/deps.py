"""Typed dependencies of the routes: store, settings, gazetteer and accounts (opened once by the app's
lifespan), and the signed-in user with role checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request

from mzgis.errors import NotSignedIn
from mzgis.gazetteer.service import Gazetteer
from mzgis.settings import Settings
from mzgis.store import Store
from mzgis.users import Role, User, Users, require

__all__ = [
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


def bearer_token(authorization: Annotated[str | None, Header(description="Bearer <令牌>")] = None) -> str | None:
    """The request's bearer token, or None without an Authorization header; any other form is NotSignedIn."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedIn("请求头 Authorization 应为“Bearer 令牌”", "Authorization must be 'Bearer <token>'")
    return token.strip()


TokenDep = Annotated[str | None, Depends(bearer_token)]


def signed_in(request: Request, token: TokenDep) -> User | None:
    """The user of the request's bearer token, or None without one; an invalid token is NotSignedIn."""
    return None if token is None else get_users(request).resolve(token)


SignedInDep = Annotated[User | None, Depends(signed_in)]


def read_access(request: Request, user: SignedInDep) -> None:
    """Reads are open to anyone when the settings say so; otherwise they need a signed-in viewer."""
    if not get_settings(request).open_reads:
        require(user, "viewer")


def _role(role: Role) -> Callable[[User | None], User]:
    def dependency(user: SignedInDep) -> User:
        return require(user, role)

    return dependency


GazetteerDep = Annotated[Gazetteer, Depends(get_gazetteer)]
UsersDep = Annotated[Users, Depends(get_users)]
ViewerDep = Annotated[User, Depends(_role("viewer"))]
PlannerDep = Annotated[User, Depends(_role("planner"))]
EditorDep = Annotated[User, Depends(_role("editor"))]
AdminDep = Annotated[User, Depends(_role("admin"))]
