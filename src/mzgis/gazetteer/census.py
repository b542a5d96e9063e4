"""Place-name class codes of GB/T 18521-2001 (地名类别代码) and mzgis's categories, both ways.

The classes are data (``data/census_classes.toml``): the middle class of every category and the finer
classes mzgis has subcategories for. A code is exchanged as the national place-name database writes it,
the standard's code padded with zeros to five digits (22100 城镇居民点)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from mzgis.errors import BadInput
from mzgis.gazetteer.rules import load_rules
from mzgis.layers import PLACE_NAME_CATEGORIES

__all__ = [
    "CensusClass",
    "census_class",
    "class_code",
    "class_named",
    "class_words",
    "classes",
    "nearest_classes",
    "read_class_code",
]

CODE_DIGITS = 5


@dataclass(frozen=True)
class CensusClass:
    code: str  # the standard's code, unpadded: "2162"
    name: str  # its Chinese name: 社区
    category: str
    subcategories: tuple[str, ...] = ()

    @property
    def padded(self) -> str:
        return self.code.ljust(CODE_DIGITS, "0")


@cache
def classes() -> dict[str, CensusClass]:
    """The listed classes by unpadded code; checked on loading (codes of digits, known categories, one class
    per category and subcategory)."""
    data = tomllib.loads(
        resources.files("mzgis.gazetteer").joinpath("data/census_classes.toml").read_text(encoding="utf-8")
    )
    out: dict[str, CensusClass] = {}
    for code, entry in data["classes"].items():
        klass = CensusClass(code, entry["name"], entry["category"], tuple(entry.get("subcategories", ())))
        if not code.isdigit() or not 2 <= len(code) <= CODE_DIGITS or klass.category not in PLACE_NAME_CATEGORIES:
            raise ValueError(f"census class {code!r}: bad code or category")
        out[code] = klass
    keys = [(k.category, s) for k in out.values() for s in k.subcategories]
    if len(keys) != len(set(keys)):
        raise ValueError("a subcategory stands in two census classes")
    return out


def census_class(category: str, subcategory: str | None = None) -> CensusClass:
    """The finest listed class of a name: its subcategory's, else its category's middle class."""
    listed = classes()
    for klass in listed.values():
        if klass.category == category and subcategory and subcategory in klass.subcategories:
            return klass
    return min((k for k in listed.values() if k.category == category), key=lambda k: len(k.code))


def class_code(category: str, subcategory: str | None = None) -> str:
    """The five-digit code written for a name of ``category`` (and ``subcategory``)."""
    return census_class(category, subcategory).padded


def read_class_code(value: object, name: str = "") -> tuple[CensusClass, str | None]:
    """The class a code of an exchange file stands for (by its longest listed prefix) and the subcategory it
    gives a name: of the class's subcategories, the first whose generics (the rules' ``subcategory_generics``)
    end ``name`` (峰江街道 in 21500 is a 街道, 新桥镇 a 镇), else the first; none for a middle class. A code that is
    not digits, longer than five, or under no listed class is refused in Chinese."""
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
    if not text.isdigit() or len(text) > CODE_DIGITS:
        raise BadInput(f"地名类别代码“{text[:20]}”应为不超过 {CODE_DIGITS} 位的数字", "class code is not 1-5 digits")
    code = text.rstrip("0") if len(text) == CODE_DIGITS else text
    listed = classes()
    for end in range(len(code), 1, -1):
        if (klass := listed.get(code[:end])) is not None:
            return klass, _subcategory(klass, name)
    raise BadInput(
        f"地名类别代码“{text}”不在 GB/T 18521 的已知类别中(如 22100 城镇居民点、21620 社区)",
        f"class code {text} is under no known class",
    )


def class_named(text: str, name: str = "") -> tuple[CensusClass, str | None] | None:
    """The listed class whose Chinese name is ``text`` (the 地名类别 of a national list: 农村居民点, 社区, 河流;
    a middle class's name is mzgis's category label), or that an everyday word of the offices' tables names
    (道路, 自然村, 住宅小区, 公园: ``[words]`` of the data), with the subcategory it gives ``name``; None for
    another text."""
    wanted = text.strip()
    listed = classes()
    for klass in listed.values():
        if klass.name == wanted:
            return klass, _subcategory(klass, name)
    code = class_words().get(wanted)
    if code is not None:
        return listed[code], _subcategory(listed[code], name)
    return None


@cache
def class_words() -> dict[str, str]:
    """Everyday class words → the unpadded code of the class they mean (checked: every code is listed)."""
    data = tomllib.loads(
        resources.files("mzgis.gazetteer").joinpath("data/census_classes.toml").read_text(encoding="utf-8")
    )
    words = {str(k): str(v) for k, v in data.get("words", {}).items()}
    unknown = sorted(set(words.values()) - set(classes()))
    if unknown:
        raise ValueError(f"class words name unlisted classes: {unknown}")
    return words


def _subcategory(klass: CensusClass, name: str) -> str | None:
    fitting = load_rules().subcategory_generics
    for subcategory in klass.subcategories:
        if any(name.endswith(g) for g in fitting.get(subcategory, ())):
            return subcategory
    return klass.subcategories[0] if klass.subcategories else None


def nearest_classes(text: str, *, limit: int = 3) -> list[str]:
    """The category words closest to ``text``, as ``word(category in Chinese)``: the categories' and the
    census classes' names and the everyday class words, those held in ``text`` (桥梁设施 holds 桥梁) or
    holding it first, then by similarity; at most ``limit``, for a refusal that helps without listing all."""
    import difflib

    from mzgis.layers import LAYERS, choice_labels

    labels = choice_labels(LAYERS["place_names"], "category")
    listed = classes()
    words: dict[str, str] = {label: category for category, label in labels.items()}
    words |= {k.name: k.category for k in listed.values()}
    words |= {word: listed[code].category for word, code in class_words().items()}
    key = text.strip()
    held = sorted((w for w in words if len(w) >= 2 and (w in key or key in w)), key=lambda w: -len(w))
    close = difflib.get_close_matches(key, list(words), n=limit * 2, cutoff=0.3)
    out: list[str] = []
    for word in [*held, *close]:
        shown = f"{word}({labels.get(words[word], words[word])})" if word != labels.get(words[word]) else word
        if shown not in out:
            out.append(shown)
    return out[:limit]
