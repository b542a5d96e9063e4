"""Accounts, roles, jurisdictions and tokens (`mzgis users …`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mzgis.cli import users_app
from mzgis.cli.common import CLI_CLIENT, DbOption, cli_actor, open_db, settings_for

__all__ = [
    "PasswordStdin",
    "RoleArg",
    "users_add",
    "users_disable",
    "users_list",
    "users_passwd",
    "users_role",
    "users_scope",
    "users_seal_secrets",
    "users_secret_key",
    "users_token",
]


RoleArg = Annotated[
    str, typer.Option("--role", help="角色:viewer 查看、planner 规划、editor 编辑、approver 审批、admin 管理员")
]


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="从标准输入读取密码(第一行),供脚本使用;否则提示输入两次")
]


Settled = Annotated[
    bool,
    typer.Option(
        "--no-change-required",
        help="不要求首次登录时修改密码(默认要求:管理员设置的密码须由本人改掉;本人在场设置或演示账号时用)",
    ),
]


def _users(db: str | None) -> Any:
    from mzgis.users import Users

    settings = settings_for(db)
    return Users(open_db(db), policy=settings.account_policy(), secret_key=settings.secret_key())


def _password_state(user: Any) -> str:
    if user.password_change == "initial":
        return "首次登录须改密码"
    if user.password_change == "expired":
        return "密码已到期"
    if user.password_change == "second_factor":
        return "须设置动态口令"
    return f"密码到期 {user.password_expires_at[:10]}" if user.password_expires_at else "密码不过期"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("密码", hide_input=True, confirmation_prompt="再输入一次密码"))


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="用户名")],
    role: RoleArg,
    password_stdin: PasswordStdin = False,
    scope: Annotated[
        str | None, typer.Option("--scope", help="管辖范围:只能修改此区划代码下的地名(如乡镇 331004001、区县 331004)")
    ] = None,
    settled: Settled = False,
    db: DbOption = None,
) -> None:
    """新增用户(密码只保存散列值;默认首次登录时须由本人修改)。Add an account."""
    users = _users(db)
    by = cli_actor(db)
    user = users.add(name, role, _password(password_stdin), by=by, scope=scope, temporary=not settled)
    where = f",管辖范围 {user.scope}" if user.scope else ""
    typer.echo(f"已新增用户 {user.name}(角色:{user.role_zh}{where};{_password_state(user)})")


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """列出用户。List accounts."""
    for u in _users(db).list():
        scope = f"\t管辖 {u.scope}" if u.scope else "\t不限范围"
        state = _password_state(u) + ("  已设动态口令" if u.second_factor else "")
        typer.echo(
            f"{u.name}\t{u.role}({u.role_zh}){'  已停用' if u.disabled else ''}{scope}\t{state}\t创建于 {u.created_at}"
        )


@users_app.command("scope")
def users_scope(
    name: Annotated[str, typer.Argument(help="用户名")],
    code: Annotated[str, typer.Argument(help="区划代码前缀(区县 331004、乡镇 331004001;写 all 表示不限)")],
    db: DbOption = None,
) -> None:
    """设置管辖范围:只能修改此区划内的地名。Confine an account's writes to an admin unit."""
    user = _users(db).set_scope(name, None if code.strip().lower() == "all" else code, by=cli_actor(db))
    typer.echo(f"{user.name} 的管辖范围:{user.scope or '不限'}")


@users_app.command("role")
def users_role(name: Annotated[str, typer.Argument(help="用户名")], role: RoleArg, db: DbOption = None) -> None:
    """修改角色。Change an account's role."""
    user = _users(db).set_role(name, role, by=cli_actor(db))
    typer.echo(f"{user.name} 的角色已改为 {user.role_zh}")


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(help="用户名")],
    password_stdin: PasswordStdin = False,
    settled: Settled = False,
    db: DbOption = None,
) -> None:
    """重设密码(该用户的全部令牌随之作废;默认下次登录时须由本人修改)。Set a new password."""
    user = _users(db).set_password(
        name, _password(password_stdin), temporary=not settled, by=cli_actor(db), client=CLI_CLIENT
    )
    typer.echo(f"{user.name} 的密码已修改,原有登录与令牌已作废;{_password_state(user)}")


@users_app.command("disable")
def users_disable(
    name: Annotated[str, typer.Argument(help="用户名")],
    enable: Annotated[bool, typer.Option("--enable", help="重新启用")] = False,
    db: DbOption = None,
) -> None:
    """停用(或用 --enable 重新启用)用户。Disable or re-enable an account."""
    user = _users(db).set_disabled(name, not enable, by=cli_actor(db))
    typer.echo(f"{user.name} 已{'停用' if user.disabled else '启用'}")


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="用户名")],
    days: Annotated[float, typer.Option("--days", help="有效天数")] = 90,
    label: Annotated[str, typer.Option("--label", help="用途说明")] = "脚本",
    db: DbOption = None,
) -> None:
    """为脚本或 QGIS 发放令牌(只显示这一次)。Issue a bearer token for scripts."""
    issued = _users(db).issue_token(name, days=days, label=label)
    typer.echo(issued.token)
    typer.echo(f"用户 {issued.user.name}(角色:{issued.user.role_zh}),有效期至 {issued.expires_at}", err=True)
    typer.echo("用法:请求头 Authorization: Bearer <令牌>", err=True)


@users_app.command("totp")
def users_totp(
    name: Annotated[str, typer.Argument(help="用户名")],
    off: Annotated[bool, typer.Option("--off", help="取消该账号的动态口令")] = False,
    db: DbOption = None,
) -> None:
    """为账号设置动态口令(身份验证器,RFC 6238):显示密钥,由本人在手机上添加;此后登录还须输入 6 位口令。"""
    from mzgis import totp

    users = _users(db)
    if off:
        user = users.set_second_factor(name, None, by=cli_actor(db))
        typer.echo(f"{user.name} 的动态口令已取消,登录只需密码")
        return
    secret = totp.new_secret()
    user = users.set_second_factor(name, secret, by=cli_actor(db))
    typer.echo(f"{user.name} 已设置动态口令。请本人在身份验证器中添加(手动输入密钥,或把下面的地址做成二维码):")
    typer.echo(f"  密钥:{secret}")
    typer.echo(f"  地址:{totp.otpauth_uri(secret, user.name)}")


@users_app.command("secret-key")
def users_secret_key(
    path: Annotated[Path, typer.Argument(help="密钥文件(如 /etc/mzgis/secret.key),放在数据文件和备份之外")],
) -> None:
    """生成加密保存动态口令密钥所用的密钥文件(仅本账号可读);已有的文件不会被覆盖。"""
    from mzgis.sealing import new_key_file

    written = new_key_file(path)
    typer.echo(f"已生成密钥文件 {written}(仅所有者可读)。请设置 MZGIS_SECRET_KEY_FILE={written},")
    typer.echo("并把它与数据备份分开另行保管:没有它,加密保存的动态口令无法核对,须重新设置。")


@users_app.command("seal-secrets")
def users_seal_secrets(db: DbOption = None) -> None:
    """把仍以明文保存的动态口令密钥改为加密保存(用 MZGIS_SECRET_KEY_FILE 的密钥)。"""
    count = _users(db).seal_second_factors(by=cli_actor(db))
    typer.echo(f"已加密保存 {count} 个账号的动态口令密钥" if count else "没有以明文保存的动态口令密钥")
