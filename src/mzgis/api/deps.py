"""Typed dependencies of the routes: the store and the settings, opened once by the app's lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mzgis.settings import Settings
from mzgis.store import Store

__all__ = ["SettingsDep", "StoreDep", "get_settings", "get_store"]


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
