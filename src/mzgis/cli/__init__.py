"""The ``mzgis`` command line: every command a thin call into the packages, one module per area (data,
names, procedures, boundary, coverage, maps, users, serve) on the app and sub-apps made here.

Domain errors become one readable line (Chinese first) and an exit code per kind, mapped once by the
command group (:class:`mzgis.cli.common.MappedErrors`); never a traceback.
"""

from __future__ import annotations

import typer

from mzgis.cli.common import EXIT_CODES, MappedErrors

__all__ = ["EXIT_CODES", "app", "main"]

app = typer.Typer(
    cls=MappedErrors,
    help="mzgis:区县民政局 GIS 工作台(标准地名、行政区划界线、养老等设施覆盖规划)。"
    " GIS workbench of a county civil affairs bureau.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
names_app = typer.Typer(help="标准地名:检查、查询、新增、更名、废止、导入导出。Place names.", no_args_is_help=True)
check_app = typer.Typer(help="行政区划与界线检查。Division and boundary checks.", no_args_is_help=True)
export_app = typer.Typer(help="导出(界线走向说明、联检资料包)。Exports.", no_args_is_help=True)
coverage_app = typer.Typer(help="十四五目标覆盖分析、选址建议。Coverage analysis and siting.")
users_app = typer.Typer(help="用户与角色:新增、改角色、改密码、停用、发放脚本令牌。Accounts.", no_args_is_help=True)

# the commands register themselves on these apps as their modules are imported (in the order of the help)
from mzgis.cli import audit, data  # noqa: E402, F401

app.add_typer(names_app, name="names")
from mzgis.cli import names, procedures  # noqa: E402, F401

app.add_typer(check_app, name="check")
app.add_typer(export_app, name="export")
from mzgis.cli import boundary, maps  # noqa: E402, F401

app.add_typer(coverage_app, name="coverage")
from mzgis.cli import coverage  # noqa: E402, F401

app.add_typer(users_app, name="users")
from mzgis.cli import serve, users  # noqa: E402, F401
from mzgis.cli.zh import install  # noqa: E402

install(app)  # the framework's words and every help in Chinese


def main() -> None:
    """Console-script entry point."""
    app()
