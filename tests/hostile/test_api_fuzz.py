"""Schemathesis over the OpenAPI document, in-process, signed in as a viewer, an editor and an admin, with
all its checks: every generated request (valid and invalid) must get no 5xx, a status the route documents,
the declared content type, headers and body; an invalid one a 4xx; a wrong method 405 with ``Allow``; a
request without credentials where the route needs them 401; and a valid one is accepted, or refused only
for the state of the data (404, 409), the user's rights (401, 403), a missing version (428) or a rule of
the register the schema cannot state (422 of kind ``rule_violation``, never ``bad_input``: what the schema
calls well formed the server may not call malformed; README, 安全 · 接口契约).

Bounded: ``MZGIS_FUZZ_EXAMPLES`` examples per operation (25 by default). Guarded: the tokens the run
signs in with are never revoked and the test accounts' passwords and roles are never changed (such
requests are pointed at a throwaway account or use a throwaway token)."""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)
from schemathesis.config import SchemathesisConfig

from mzgis.api import create_app
from mzgis.settings import Settings, default_demo_path
from mzgis.store import GeoPackageStore
from mzgis.users import Users
from tests.conftest import ACCOUNTS, add_accounts, bearer

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("MZGIS_FUZZ_EXAMPLES", "25"))
ROLES = ("查看员", "地名科", "管理员")
THROWAWAY = "fuzz-target"
# a valid request may be refused for the state of the data, the user's rights, a missing version or a rule
# of the register: a name that breaks the naming rules, a unit that does not exist, nothing to announce
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "428", "429"]
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}}})


@schemathesis.check
def refused_only_for_a_rule(ctx: object, response: schemathesis.Response, case: schemathesis.Case) -> None:  # type: ignore[type-arg]
    """A 422 to a request the schema calls well formed names a rule it breaks, never a malformed input."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return
    body = response.json()
    if body.get("error") == "bad_input":
        raise AssertionError(f"a request the schema calls well formed was refused as malformed: {body['message']}")


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    positive_data_acceptance,
    refused_only_for_a_rule,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    ignored_auth,
    use_after_free,
    ensure_resource_availability,
]


def _database(folder: Path) -> tuple[Path, dict[str, str]]:
    path = folder / "fuzz.gpkg"
    with closing(sqlite3.connect(default_demo_path())) as src, closing(sqlite3.connect(path)) as dst:
        src.backup(dst)
    tokens = add_accounts(path)
    Users(GeoPackageStore(path)).add(THROWAWAY, "viewer", "Throwaway-password-1", by="test", temporary=False)
    return path, tokens


def _schema() -> tuple[schemathesis.schemas.BaseSchema, Path, dict[str, str]]:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="mzgis-fuzz-"))
    path, tokens = _database(folder)
    app = create_app(Settings(db=path, _env_file=None))
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG), path, tokens


SCHEMA, DB, TOKENS = _schema()


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_answers_every_generated_request_as_documented(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
    path = case.operation.path
    if path == "/api/users/{name}" and case.path_parameters and case.path_parameters.get("name") in ACCOUNTS:
        case.path_parameters["name"] = THROWAWAY  # never the accounts the run signs in with
    for name in ROLES:
        token = TOKENS[name]
        if path in ("/api/auth/sign-out", "/api/auth/refresh"):  # these revoke the token they are sent with
            token = Users(GeoPackageStore(DB)).issue_token(name, days=1).token
        case.call_and_validate(headers=bearer(token), checks=CHECKS)
    if path.startswith(("/api/auth/", "/api/users")):  # the routes that change accounts and tokens, each case
        _the_run_kept_its_accounts()  # (here, not at the end: the cases are spread over several test processes)


def _the_run_kept_its_accounts() -> None:
    users = Users(GeoPackageStore(DB))
    for name in ROLES:
        assert users.resolve(TOKENS[name]).role == ACCOUNTS[name]


# removed when this test process ends, not with the module: the cases are spread over the test processes, and
# one may come back to this module after running others
atexit.register(shutil.rmtree, DB.parent, ignore_errors=True)
