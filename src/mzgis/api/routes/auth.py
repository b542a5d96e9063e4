"""Sign-in, the signed-in user, the page's settings, and account management (admins)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from mzgis import __version__, totp
from mzgis.api.deps import AccountHolderDep, AdminDep, SettingsDep, TokenDep, UsersDep, ViewerDep, client_of
from mzgis.api.models import ErrorOut
from mzgis.coverage.targets import FACILITY_TYPES
from mzgis.io.names_export import CENSUS_FORMATS, EXPORT_FORMATS
from mzgis.io.printmap import PAPERS
from mzgis.styles import STYLES
from mzgis.users import PASSWORD_CHANGE_ZH, ROLE_ZH, SCOPE_PATTERN, User, name_pattern

__all__ = ["router"]

router = APIRouter(tags=["登录与用户 accounts"])
# the password policy: rules of the register's accounts, refused as rule violations (422), not as malformed
_POLICY = "新密码:至少 8 位,含小写、大写、数字、符号中的三类,不含用户名,不是常见密码,不是最近用过的"
RoleName = Literal["viewer", "planner", "editor", "approver", "admin"]
_ERRORS: dict[int | str, dict[str, object]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut}}


class UserOut(BaseModel):
    name: str
    role: RoleName
    role_zh: str
    disabled: bool
    created_at: str
    scope: str | None = Field(default=None, description="管辖范围:只能修改此区划代码下的地名(无:不限)")
    password_change: Literal["", "initial", "expired", "second_factor"] = Field(
        default="",
        description="须先办理的:initial 改掉管理员设置的初始密码,expired 改掉到期的密码,"
        "second_factor 设置动态口令;空:无",
    )
    password_change_zh: str = Field(default="", description="须先办理的原因(中文)")
    password_expires_at: str | None = Field(default=None, description="密码到期时间(UTC);无:不过期")
    second_factor: bool = Field(default=False, description="登录时还须输入动态口令(身份验证器)")


def user_out(user: User) -> UserOut:
    return UserOut(
        name=user.name,
        role=user.role,
        role_zh=user.role_zh,
        disabled=user.disabled,
        created_at=user.created_at,
        scope=user.scope,
        password_change=user.password_change,
        password_change_zh=PASSWORD_CHANGE_ZH.get(user.password_change, ""),
        password_expires_at=user.password_expires_at,
        second_factor=user.second_factor,
    )


class SignInIn(BaseModel):
    name: str = Field(max_length=100, description="用户名")
    password: str = Field(max_length=1000, description="密码")
    code: str | None = Field(default=None, max_length=20, description="动态口令:已设置身份验证器的账号须填")


class SecondFactorOut(BaseModel):
    secret: str = Field(description="共享密钥(base32),在身份验证器中手动输入")
    uri: str = Field(description="otpauth:// 地址(可做成二维码)")


class SecondFactorIn(BaseModel):
    secret: str = Field(min_length=16, max_length=64, pattern="^[A-Z2-7]+=*$", description="上一步取得的共享密钥")
    code: str = Field(max_length=20, description="身份验证器当前显示的 6 位数字")
    password: str | None = Field(default=None, max_length=1000, description="当前密码:更换已有的动态口令时须填")


class PasswordIn(BaseModel):
    current: str = Field(max_length=1000, description="当前密码")
    new: str = Field(max_length=1000, description=_POLICY)


class TokenOut(BaseModel):
    access_token: str = Field(description="请求头 Authorization: Bearer <令牌>")
    token_type: Literal["bearer"] = "bearer"
    expires_at: str
    user: UserOut


class ConfigOut(BaseModel):
    version: str
    open_reads: bool = Field(description="未登录也可查看")
    tile_url: str | None = Field(description="底图瓦片地址(未设置则以行政区划为底图)")
    tile_attribution: str
    roles: dict[str, str] = Field(description="角色及其中文名,由低到高")
    styles: dict[str, str] = Field(description="图层取值以外的颜色(高亮、乡镇底色等)")
    facility_types: dict[str, str] = Field(description="选址建议的设施类型及其中文名")
    exports: dict[str, str] = Field(description="地名导出格式(census-:地名普查交换格式)及其中文名")
    papers: list[str] = Field(description="出图纸张")
    print_formats: dict[str, str] = Field(description="出图格式")
    print_orientations: dict[str, str] = Field(description="出图方向")
    password_warn_days: float = Field(description="密码到期前多少天起提醒")


def _name_pattern(schema: dict[str, Any]) -> None:
    schema["pattern"] = name_pattern()  # when the schema is asked for (the pattern takes a moment to build)


_SCOPE: dict[str, Any] = {"pattern": SCOPE_PATTERN}


class UserIn(BaseModel):
    name: str = Field(
        max_length=40, description="用户名:1–40 个字符,不含空格、斜杠、冒号", json_schema_extra=_name_pattern
    )
    role: RoleName
    password: str = Field(min_length=8, max_length=1000, description=_POLICY)
    scope: str | None = Field(
        default=None, max_length=40, description="管辖范围(区划代码,如 331004001);不填:不限", json_schema_extra=_SCOPE
    )


class UserPatch(BaseModel):
    role: RoleName | None = None
    password: str | None = Field(default=None, min_length=8, max_length=1000, description=_POLICY)
    disabled: bool | None = None
    scope: str | None = Field(
        default=None, max_length=40, description="新的管辖范围;null 或空:不限", json_schema_extra=_SCOPE
    )


@router.get("/api/config", response_model=ConfigOut, summary="网页设置(无需登录)")
def config(settings: SettingsDep) -> ConfigOut:
    return ConfigOut(
        version=__version__,
        open_reads=settings.open_reads,
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        roles=ROLE_ZH,
        styles=STYLES,
        facility_types=FACILITY_TYPES,
        exports=EXPORT_FORMATS | {f"census-{f}": f"地名普查交换格式({f.upper()})" for f in CENSUS_FORMATS},
        papers=list(PAPERS),
        print_formats={"pdf": "PDF", "png": "PNG 图片"},
        print_orientations={"landscape": "横向", "portrait": "纵向"},
        password_warn_days=settings.account_policy().warn_days,
    )


@router.post("/api/auth/token", response_model=TokenOut, responses=_ERRORS, summary="登录,取得令牌")
def sign_in(body: SignInIn, request: Request, users: UsersDep, settings: SettingsDep) -> TokenOut:
    client = client_of(request)
    issued = users.sign_in(body.name, body.password, client=client, hours=settings.sign_in_hours, code=body.code)
    return TokenOut(access_token=issued.token, expires_at=issued.expires_at, user=user_out(issued.user))


@router.post("/api/auth/refresh", response_model=TokenOut, responses=_ERRORS, summary="换发令牌(旧令牌作废)")
def refresh(_: ViewerDep, users: UsersDep, settings: SettingsDep, token: TokenDep) -> TokenOut:
    issued = users.refresh(token or "", hours=settings.sign_in_hours)
    return TokenOut(access_token=issued.token, expires_at=issued.expires_at, user=user_out(issued.user))


@router.get("/api/auth/me", response_model=UserOut, responses=_ERRORS, summary="当前登录用户")
def me(user: AccountHolderDep) -> UserOut:
    return user_out(user)


@router.post(
    "/api/auth/password",
    response_model=TokenOut,
    responses=_ERRORS | {400: {"model": ErrorOut}},
    summary="修改自己的密码(该账号的全部令牌作废,换发新令牌)",
)
def change_password(
    body: PasswordIn, user: AccountHolderDep, request: Request, users: UsersDep, settings: SettingsDep
) -> TokenOut:
    client = client_of(request)
    issued = users.change_own_password(user.name, body.current, body.new, client=client, hours=settings.sign_in_hours)
    return TokenOut(access_token=issued.token, expires_at=issued.expires_at, user=user_out(issued.user))


@router.post(
    "/api/auth/second-factor/new", response_model=SecondFactorOut, responses=_ERRORS, summary="生成动态口令的新密钥"
)
def new_second_factor(user: AccountHolderDep) -> SecondFactorOut:
    secret = totp.new_secret()  # kept by nobody until confirmed with a code below
    return SecondFactorOut(secret=secret, uri=totp.otpauth_uri(secret, user.name))


@router.post(
    "/api/auth/second-factor",
    response_model=UserOut,
    responses=_ERRORS | {400: {"model": ErrorOut}},
    summary="设置自己的动态口令(以身份验证器的当前口令确认)",
)
def set_second_factor(body: SecondFactorIn, user: AccountHolderDep, users: UsersDep, request: Request) -> UserOut:
    if user.second_factor:  # replacing one: the password again, so a session left open cannot rebind it
        users.authenticate(user.name, body.password or "", client=client_of(request), quiet=True, second_factor=False)
    return user_out(users.set_second_factor(user.name, body.secret, code=body.code, by=user.name))


@router.post("/api/auth/sign-out", status_code=204, responses=_ERRORS, summary="退出登录(令牌作废)")
def sign_out(_: AccountHolderDep, users: UsersDep, token: TokenDep, request: Request) -> Response:
    users.sign_out(token or "", client=client_of(request))  # a viewer is signed in, so the token is there
    return Response(status_code=204)


class SecurityEventOut(BaseModel):
    id: int
    at: str = Field(description="时间(UTC)")
    account: str = Field(description="账号(未登录者为空)")
    event: str
    event_zh: str
    success: bool
    client: str = Field(description="客户端地址(命令行为“命令行”)")
    detail: str


@router.get("/api/security-log", response_model=list[SecurityEventOut], responses=_ERRORS, summary="安全日志(管理员)")
def security_log(
    _: AdminDep,
    users: UsersDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="最近多少条")] = 200,
) -> list[SecurityEventOut]:
    return [
        SecurityEventOut(**e.__dict__, event_zh=e.event_zh) for e in users.security.events(limit=limit, newest=True)
    ]


@router.get("/api/users", response_model=list[UserOut], responses=_ERRORS, summary="用户列表(管理员)")
def list_users(_: AdminDep, users: UsersDep) -> list[UserOut]:
    return [user_out(u) for u in users.list()]


@router.post("/api/users", response_model=UserOut, status_code=201, responses=_ERRORS, summary="新增用户(管理员)")
def add_user(body: UserIn, admin: AdminDep, users: UsersDep) -> UserOut:
    return user_out(users.add(body.name, body.role, body.password, by=admin.name, scope=body.scope))


@router.patch("/api/users/{name}", response_model=UserOut, responses=_ERRORS, summary="修改角色、密码或停用(管理员)")
def change_user(name: str, body: UserPatch, admin: AdminDep, users: UsersDep, request: Request) -> UserOut:
    user = users.get(name)
    if body.role is not None:
        user = users.set_role(name, body.role, by=admin.name)
    if body.password is not None:
        user = users.set_password(name, body.password, by=admin.name, client=client_of(request))
    if body.disabled is not None:
        user = users.set_disabled(name, body.disabled, by=admin.name)
    if "scope" in body.model_fields_set:  # given as null or "": no bounds any more
        user = users.set_scope(name, body.scope, by=admin.name)
    return user_out(user)
