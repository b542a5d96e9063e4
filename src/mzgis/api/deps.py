"""Typed dependencies of the routes: the store and the settings, opened once by the app's lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from mzgis.gazetteer.service import Gazetteer
from mzgis.settings import Settings
from mzgis.store import Store

__all__ = ["GazetteerDep", "SettingsDep", "StoreDep", "UserDep", "get_settings", "get_store"]


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


def current_user(x_mzgis_user: Annotated[str | None, Header()] = None) -> str:
    """The user recorded in the history. Until sign-in exists (map page issue), the X-Mzgis-User header,
    percent-encoded UTF-8 (headers are ASCII): ``%E5%9C%B0%E5%90%8D%E7%A7%91`` for 地名科."""
    from urllib.parse import unquote

    return unquote(x_mzgis_user or "web").strip() or "web"


GazetteerDep = Annotated[Gazetteer, Depends(get_gazetteer)]
UserDep = Annotated[str, Depends(current_user)]
