"""The command line in Chinese, its framework's words too: click's and Typer's own strings (``Show this message
and exit.``, ``[required]``, ``Missing option``, the panels' titles) through a small catalogue, the value
types shown as Chinese words, and each command's help without its English gloss (the docstrings keep both:
``新增地名。Add a place name.`` is shown as ``新增地名。``). Installed once, when the CLI is imported."""

from __future__ import annotations

import re
from typing import Any

import typer

__all__ = ["CATALOGUE", "argument_word", "chinese_help", "install", "translate", "translate_error"]

# click's and Typer's English, as they pass it to gettext (the {placeholders} stay)
CATALOGUE = {
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "[required]": "[必填]",
    "required": "必填",
    "[default: {}]": "[默认:{}]",
    "default: {default}": "默认:{default}",
    "[env var: {}]": "[环境变量:{}]",
    "env var: {var}": "环境变量:{var}",
    "(deprecated) ": "(已弃用)",
    "deprecated": "已弃用",
    "Arguments": "参数",
    "Options": "选项",
    "Commands": "命令",
    "Error": "错误",
    "Aborted.": "已中止。",
    "Aborted!": "已中止!",
    "Usage:": "用法:",
    "Error: {message}": "错误:{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "Try [blue]'{command_path} {help_option}'[/] for help.": "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing command.": "缺少子命令。",
    "Missing parameter: {param_name}": "缺少参数:{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "argument": "参数",
    "option": "选项",
    "parameter": "参数",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值不对:{message}",
    "Invalid value: {message}": "值不对:{message}",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such option: {name}": "没有选项:{name}",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Got unexpected extra argument ({args})": "多了参数({args})",
    "Got unexpected extra arguments ({args})": "多了参数({args})",
    "Did you mean {possibility}?": "是否想用 {possibility}?",
    "(Possible options: {possibilities})": "(可能是:{possibilities})",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "integer": "整数",
    "float": "数值",
    "{value!r} is not a valid boolean.": "{value!r} 不是有效的是/否。",
    "{value} is not in the range {range}.": "{value} 不在 {range} 范围内。",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}:{message}",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "unknown error": "未知错误",
    "Do you want to continue?": "是否继续?",
    "Repeat for confirmation": "再输入一次确认",
    "Error: The two entered values do not match.": "错误:两次输入不一致。",
    "Error: The value you entered was invalid.": "错误:输入的值无效。",
    "Error: {e.message}": "错误:{e.message}",
}
# Typer's rich help: the module constants it set from its English when it was imported
_RICH_CONSTANTS = {
    "DEPRECATED_STRING": "(deprecated) ",
    "DEFAULT_STRING": "[default: {}]",
    "ENVVAR_STRING": "[env var: {}]",
    "REQUIRED_LONG_STRING": "[required]",
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "ERRORS_PANEL_TITLE": "Error",
    "ABORTED_TEXT": "Aborted.",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}
# the value types Typer shows beside each option
_TYPES = {
    "str": "文本",
    "int": "整数",
    "float": "数值",
    "bool": "开关",
    "path": "路径",
    "file": "文件",
    "directory": "目录",
    "list[str]": "文本…",
}
_ENGLISH_GLOSS = re.compile(r"(?<=[。)])\s*[A-Za-z][^。]*$", re.S)


# the messages Typer's own copy of click writes without gettext, as patterns
_ERRORS = [
    (re.compile(r"^Missing argument '(.+)'\.$"), r"缺少参数 \1。"),
    (re.compile(r"^Missing option '(.+)'\.(.*)$"), r"缺少选项 \1。\2"),
    (re.compile(r"^Missing (.+)\.$"), r"缺少\1。"),
    (re.compile(r"^Invalid value for (.+?): (.*)$", re.S), r"\1 的值不对:\2"),
    (re.compile(r"^Invalid value: (.*)$", re.S), r"值不对:\1"),
    (re.compile(r"^No such option: (\S+)$"), r"没有选项 \1"),
    (re.compile(r"^No such option: (\S+) Did you mean (\S+)\?$"), r"没有选项 \1,是否想用 \2?"),
    (re.compile(r"^No such option: (\S+) \(Possible options: (.+)\)$"), r"没有选项 \1(可能是:\2)"),
    (re.compile(r"^(.*)。\. Did you mean (.+)\?$"), r"\1,是否想用 \2?"),
    (re.compile(r"^No such command '([^']+)'\.$"), r"没有命令 '\1'。"),
    (re.compile(r"^No such command '([^']+)'\.\s*Did you mean '([^']+)'\?$"), r"没有命令 '\1',是否想用 '\2'?"),
    (re.compile(r"^Got unexpected extra argument(?:s|\(s\))? \((.*)\)$"), r"多了参数:\1"),
    (re.compile(r"^Option '(.+)' requires an argument\.$"), r"选项 '\1' 需要一个值。"),
    (re.compile(r"^Option '(.+)' does not take a value\.$"), r"选项 '\1' 不带值。"),
]
_VALUE_WORDS = [
    ("Input should be a valid number, unable to parse string as a number", "应为数字"),
    ("Input should be a valid integer, unable to parse string as an integer", "应为整数"),
    ("Input should be a valid boolean, unable to interpret input", "应为 true 或 false"),
    ("is not one of", "不是以下之一:"),
    ("is not in the range", "不在范围"),
    ("does not exist.", "不存在。"),
]


def translate_error(message: str) -> str:
    """A usage error of the framework in Chinese (what it does not know stays as it is)."""
    for pattern, replacement in _ERRORS:
        if pattern.match(message):
            message = pattern.sub(replacement, message)
            break
    for english, chinese in _VALUE_WORDS:
        message = message.replace(english, chinese)
    return message


def translate(message: str) -> str:
    return CATALOGUE.get(message, message)


def _ntranslate(singular: str, plural: str, n: int) -> str:
    return translate(singular if n == 1 else plural)


def chinese_help(text: str | None) -> str | None:
    """A command's help without the English gloss after its Chinese: ``新增地名。Add a place name.`` →
    ``新增地名。``; a help without Chinese is left as it is."""
    if not text or not re.search(r"[\u4e00-\u9fff]", text):
        return text
    first, _, rest = text.partition("\n\n")
    trimmed = _ENGLISH_GLOSS.sub("", first.strip())
    return trimmed + (f"\n\n{rest}" if rest else "")


def install(app: typer.Typer) -> None:
    """Translate the framework's strings and show every command's help of ``app`` in Chinese."""
    import importlib

    import typer.core
    import typer.main
    import typer.rich_utils as ru

    # Typer carries its own copy of click (typer._click) beside the click package: both are translated
    for package in ("click", "typer._click"):
        for name in ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils"):
            try:
                module = importlib.import_module(f"{package}.{name}")
            except ImportError:
                continue
            if hasattr(module, "_"):
                module._ = translate  # type: ignore[attr-defined]
            if hasattr(module, "ngettext"):
                module.ngettext = _ntranslate  # type: ignore[attr-defined]
    for module in (typer.core, typer.main, ru):
        if hasattr(module, "_"):
            module._ = translate  # type: ignore[attr-defined]
    _patch_vendored_click()
    for constant, english in _RICH_CONSTANTS.items():
        setattr(ru, constant, translate(english))
    parameter = typer.core._TyperParameter
    if not getattr(parameter.display_type, "_mzgis", False):
        english_type = parameter.display_type

        def display_type(self: Any, ctx: Any) -> str:
            label = english_type(self, ctx)
            inner = label[1:-1] if label.startswith("<") and label.endswith(">") else None
            return f"<{_TYPES[inner]}>" if inner in _TYPES else label

        display_type._mzgis = True  # type: ignore[attr-defined]
        parameter.display_type = display_type  # type: ignore[method-assign]
    _chinese_arguments()
    _chinese_helps(app)


def _patch_vendored_click() -> None:
    """The strings Typer's copy of click writes as literals: the help option's help, the usage prefix, and
    the usage errors (translated as they are printed)."""
    import typer._click.core as core
    import typer._click.formatting as formatting
    import typer.rich_utils as ru

    if getattr(core.Command.get_help_option, "_mzgis", False):
        return
    english_help_option = core.Command.get_help_option

    def get_help_option(self: Any, ctx: Any) -> Any:
        option = english_help_option(self, ctx)
        if option is not None:
            option.help = translate("Show this message and exit.")
        return option

    english_usage = formatting.HelpFormatter.write_usage

    def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        args = args.replace("[OPTIONS]", "[选项]").replace("COMMAND [ARGS]...", "命令 [参数]...")
        english_usage(self, prog, args, "用法: " if prefix is None else prefix)

    english_error = ru.rich_format_error

    def rich_format_error(self: Any) -> None:
        message = self.format_message
        self.format_message = lambda: translate_error(message())
        english_error(self)

    get_help_option._mzgis = True  # type: ignore[attr-defined]
    core.Command.get_help_option = get_help_option  # type: ignore[method-assign]
    formatting.HelpFormatter.write_usage = write_usage  # type: ignore[method-assign]
    ru.rich_format_error = rich_format_error


# an argument's name in usage lines and errors where its help does not start with a short one
_ARGUMENT_WORDS = {"query": "查询词", "step": "步骤", "file": "文件", "path": "数据文件或数据库", "backup": "备份文件"}
_ARGUMENT_CUT = re.compile(r"[(（:：,，;；]")


def argument_word(name: str, help_text: str | None) -> str:
    """What a positional argument is called where usage lines and errors name it: its help up to the first
    bracket, colon or comma (``用户名``, ``地名编号``), or a word of its own (``query`` → ``查询词``)."""
    if name in _ARGUMENT_WORDS:
        return _ARGUMENT_WORDS[name]
    word = _ARGUMENT_CUT.split(help_text or "", maxsplit=1)[0].strip()
    return word if word and len(word) <= 12 and re.search(r"[\u4e00-\u9fff]", word) else name.upper()


def _chinese_arguments() -> None:
    """Positional arguments named in Chinese in usage lines and errors (Typer names them NAME, FID …)."""
    from typer.core import TyperArgument

    if getattr(TyperArgument.__init__, "_mzgis", False):
        return
    english_init = TyperArgument.__init__

    def init(self: Any, *, param_decls: list[str], metavar: str | None = None, **kwargs: Any) -> None:
        if metavar is None and param_decls:
            metavar = argument_word(param_decls[0], kwargs.get("help"))
        english_init(self, param_decls=param_decls, metavar=metavar, **kwargs)

    init._mzgis = True  # type: ignore[attr-defined]
    TyperArgument.__init__ = init  # type: ignore[method-assign]


def _chinese_helps(app: typer.Typer) -> None:
    """Every command's and group's help in Typer's registry shown in Chinese (the docstrings keep both)."""
    import inspect

    if app.info.help:
        app.info.help = chinese_help(str(app.info.help))
    for info in app.registered_commands:
        info.help = chinese_help(info.help or inspect.getdoc(info.callback) or "")
    for group in app.registered_groups:
        if group.typer_instance is not None:
            _chinese_helps(group.typer_instance)
