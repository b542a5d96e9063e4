"""One verb per edit of a place name, each an :class:`~mzgis.gazetteer.edits.Edit` given to the one
pipeline, :meth:`~mzgis.gazetteer.service.Gazetteer.apply` (for scripts and tests; the CLI and the API build
their edits and call ``apply`` themselves)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shapely.geometry.base import BaseGeometry

from mzgis.gazetteer.edits import Acting, Edit
from mzgis.store import Feature, Transaction

__all__ = ["EditVerbs"]


class EditVerbs:
    """create, update, rename, move, retire, restore, revert (a part of the Gazetteer)."""

    def apply(
        self,
        edits: Sequence[Edit],
        *,
        user: str | Acting,
        comment: str = "",
        precheck: Any = None,
        then: Callable[[Transaction, list[Feature]], None] | None = None,
        scope: str | None = None,
    ) -> list[Feature]:
        raise NotImplementedError

    def create(
        self,
        properties: Mapping[str, Any],
        geometry: BaseGeometry | None,
        *,
        user: str,
        reason: str = "",
        override_reason: str | None = None,
        scope: str | None = None,
    ) -> Feature:
        return self.apply(
            [Edit("create", properties=properties, geometry=geometry, override_reason=override_reason)],
            user=user,
            comment=reason,
            scope=scope,
        )[0]

    def update(
        self,
        fid: int,
        changes: Mapping[str, Any],
        *,
        expected_version: int | None,
        user: str,
        reason: str = "",
        geometry: BaseGeometry | None = None,
        override_reason: str | None = None,
        on: str | None = None,
        scope: str | None = None,
    ) -> Feature:
        edit = Edit("update", fid, expected_version, changes, geometry, on, override_reason)
        return self.apply([edit], user=user, comment=reason, scope=scope)[0]

    def rename(
        self,
        fid: int,
        new_name: str,
        *,
        expected_version: int | None,
        user: str,
        reason: str,
        on: str | None = None,
        override_reason: str | None = None,
        scope: str | None = None,
    ) -> Feature:
        edit = Edit("rename", fid, expected_version, {"name": new_name}, None, on, override_reason)
        return self.apply([edit], user=user, comment=reason, scope=scope)[0]

    def move(
        self,
        fid: int,
        geometry: BaseGeometry,
        *,
        expected_version: int | None,
        user: str,
        reason: str = "",
        scope: str | None = None,
    ) -> Feature:
        edit = Edit("move", fid, expected_version, geometry=geometry)
        return self.apply([edit], user=user, comment=reason, scope=scope)[0]

    def retire(
        self,
        fid: int,
        *,
        expected_version: int | None,
        user: str,
        reason: str,
        on: str | None = None,
        scope: str | None = None,
    ) -> Feature:
        return self.apply([Edit("retire", fid, expected_version, on=on)], user=user, comment=reason, scope=scope)[0]

    def restore(
        self,
        fid: int,
        *,
        expected_version: int | None,
        user: str,
        reason: str = "",
        override_reason: str | None = None,
        scope: str | None = None,
    ) -> Feature:
        edit = Edit("restore", fid, expected_version, override_reason=override_reason)
        return self.apply([edit], user=user, comment=reason, scope=scope)[0]

    def revert(
        self,
        fid: int,
        to_version: int,
        *,
        expected_version: int | None,
        user: str,
        reason: str,
        override_reason: str | None = None,
        scope: str | None = None,
    ) -> Feature:
        """A new version with the content of version ``to_version`` (see :func:`~mzgis.gazetteer.edits.reverted`),
        checked like any edit; nothing of the history is lost."""
        edit = Edit("revert", fid, expected_version, override_reason=override_reason, to_version=to_version)
        return self.apply([edit], user=user, comment=reason, scope=scope)[0]
