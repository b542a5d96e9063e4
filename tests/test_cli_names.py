from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mzgis.cli import app
from tests.conftest import shape

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "demo.gpkg"
    assert runner.invoke(app, ["init", str(path), "--demo"]).exit_code == 0
    return str(path)


def test_every_names_command_has_help() -> None:
    for command in (
        "check-name",
        "check",
        "search",
        "add",
        "rename",
        "move",
        "retire",
        "restore",
        "history",
        "import",
        "export",
    ):
        result = runner.invoke(app, ["names", command, "--help"])
        assert result.exit_code == 0, command
    assert runner.invoke(app, ["pinyin", "--help"]).exit_code == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["路南街道"], "Lunan Jiedao"),
        (["六安市"], "Lu'an Shi"),
        (["单县"], "Shan Xian"),
        (["单县", "--tones"], "Shàn Xiàn"),
        (["长浦新村", "--category", "self_governing_org"], "Changpuxin Cun"),
    ],
)
def test_pinyin(args: list[str], expected: str) -> None:
    result = runner.invoke(app, ["pinyin", *args])
    assert result.exit_code == 0 and result.output.strip() == expected


def test_pinyin_of_several_names_one_a_line() -> None:
    result = runner.invoke(app, ["pinyin", "路南街道", "六安市", "单县", "--tones"])
    assert result.exit_code == 0
    assert result.output.splitlines() == ["路南街道\tLùnán Jiēdào", "六安市\tLù'ān Shì", "单县\tShàn Xiàn"]


def test_check_name_json(db: str) -> None:
    result = runner.invoke(
        app,
        [
            "names",
            "check-name",
            "方林村",
            "--category",
            "self_governing_org",
            "--admin",
            "331004001",
            "--json",
            "--db",
            db,
        ],
    )
    assert result.exit_code == 5  # an error finding
    data = json.loads(result.output)
    assert data["name"] == "方林村" and data["romanized"] == "Fanglin Cun"
    assert [(f["rule"], f["severity"]) for f in data["findings"]] == [
        ("duplicate", "error"),
        ("near_duplicate", "warning"),
    ]
    assert all(f["message"] for f in data["findings"])
    clean = runner.invoke(
        app,
        [
            "names",
            "check-name",
            "新塘村",
            "--category",
            "self_governing_org",
            "--admin",
            "331004001",
            "--json",
            "--db",
            db,
        ],
    )
    assert clean.exit_code == 0 and json.loads(clean.output)["findings"] == []


def test_check_name_shows_the_words_of_the_spelling(db: str) -> None:
    out = runner.invoke(
        app, ["names", "check-name", "经五路", "--category", "transport_facility", "--admin", "331004001", "--db", db]
    )
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[:2] == ["经五路  Jing 5 Lu(专名 经五,通名 路)", "  拼写依据:经 Jing | 五 5 | 路 Lu"]


def test_check_whole_gazetteer_and_xlsx(db: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["names", "check", "--db", db])
    assert "#249 路桥3号路" in result.output and "共 10 个地名有问题,其中错误 8 条" in result.output
    out = tmp_path / "cleanup.xlsx"
    done = runner.invoke(app, ["names", "check", "--xlsx", str(out), "--deadline", "2027-06-30", "--db", db])
    assert done.exit_code == 0 and "10 个地名,12 条问题" in done.output
    import pandas as pd

    table = pd.read_excel(out, dtype=str, header=2).dropna(subset=["编号"])  # the form: title above, signatures below
    assert len(table) == 12 and set(table["完成时限"]) == {"2027-06-30"}
    bad = runner.invoke(app, ["names", "check", "--xlsx", str(out), "--deadline", "明年", "--db", db])
    assert bad.exit_code == 2 and "--deadline “明年”应为日期 YYYY-MM-DD" in bad.output


def test_search(db: str) -> None:
    result = runner.invoke(app, ["names", "search", "lnjd", "--json", "--db", db])
    assert json.loads(result.output)[0]["name"] == "路南街道"
    near = runner.invoke(app, ["names", "search", "--near", "121.38,28.58", "--within", "500", "--db", db])
    assert near.exit_code == 0 and "米" in near.output and "[附近]" in near.output
    slip = runner.invoke(app, ["names", "search", "金青镇", "--db", db])  # a character of the same sound
    assert slip.output.splitlines()[0].startswith("#") and slip.output.splitlines()[0].endswith(
        "金清镇  Jinqing Zhen  [同音]"
    )
    bad = runner.invoke(app, ["names", "search", "--near", "28.58,121.38", "--db", db])
    assert bad.exit_code == 2 and "写反" in bad.output


def test_edit_cycle_with_history_and_conflict(db: str) -> None:
    add = runner.invoke(
        app,
        [
            "names",
            "add",
            "金清大桥",
            "--category",
            "transport_facility",
            "--subcategory",
            "bridge",
            "--admin",
            "331004106",
            "--lon",
            "121.49",
            "--lat",
            "28.525",
            "--user",
            "甲",
            "--db",
            db,
        ],
    )
    assert add.exit_code == 0, add.output
    fid = add.output.split("#")[1].split()[0]
    renamed = runner.invoke(
        app, ["names", "rename", fid, "金清桥", "--version", "1", "--reason", "简化", "--user", "乙", "--db", db]
    )
    assert renamed.exit_code == 0 and "Jinqing Qiao" in renamed.output
    stale = runner.invoke(app, ["names", "rename", fid, "金清新桥", "--version", "1", "--reason", "x", "--db", db])
    assert stale.exit_code == 4 and f"已被 {getpass.getuser()}(代 乙)" in stale.output
    retired = runner.invoke(app, ["names", "retire", fid, "--version", "2", "--reason", "拆除", "--db", db])
    assert retired.exit_code == 0
    history = runner.invoke(app, ["names", "history", fid, "--db", db])
    assert "标准名称:金清大桥 → 金清桥" in history.output and "状态:现行 → 已废止" in history.output
    assert "曾用名:(空) → 金清大桥(至 " in history.output  # no JSON, no English ids where officers read
    restored = runner.invoke(app, ["names", "restore", fid, "--version", "3", "--db", db])
    assert restored.exit_code == 0


def test_add_with_a_rule_error_needs_an_override(db: str) -> None:
    args = [
        "names",
        "add",
        "曼哈顿广场",
        "--category",
        "building",
        "--admin",
        "331004003",
        "--lon",
        "121.36",
        "--lat",
        "28.60",
        "--db",
        db,
    ]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 5 and "外国人名、地名" in refused.output
    assert runner.invoke(app, [*args, "--override-reason", "历史遗留"]).exit_code == 0


def test_import_and_export(db: str, tmp_path: Path) -> None:
    src = tmp_path / "names.csv"
    src.write_text(
        "名称,地名类别,所在区划代码,经度,纬度\n新塘村,self_governing_org,331004001,121.3746,28.5519\n", encoding="utf-8"
    )
    dry = runner.invoke(app, ["names", "import", str(src), "--from-crs", "gcj02", "--dry-run", "--db", db])
    assert dry.exit_code == 0 and "试运行" in dry.output
    real = runner.invoke(app, ["names", "import", str(src), "--from-crs", "gcj02", "--db", db])
    assert real.exit_code == 0 and "已作为一个变更集写入 1 条" in real.output
    out = tmp_path / "all.geojson"
    assert runner.invoke(app, ["names", "export", str(out), "--db", db]).exit_code == 0
    import pyogrio

    assert pyogrio.read_info(out)["features"] == 251


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".geojson"])
def test_an_export_imports_back_unchanged(db: str, tmp_path: Path, suffix: str) -> None:
    from tests.hostile.conftest import store_digest

    out = tmp_path / f"names{suffix}"
    assert runner.invoke(app, ["names", "export", str(out), "--db", db]).exit_code == 0
    before = store_digest(Path(db))
    back = runner.invoke(app, ["names", "import", str(out), "--update", "--db", db])
    assert back.exit_code == 0, back.output
    assert back.output.strip().endswith("(新增 0 条,更新 0 条,未变 250 条);与库中一致,无需写入")
    assert store_digest(Path(db)) == before  # nothing written, not even a changeset


def test_corrections_made_in_excel_come_back_as_new_versions(db: str, tmp_path: Path) -> None:
    import openpyxl

    from mzgis.gazetteer.service import Gazetteer
    from mzgis.store import GeoPackageStore

    out = tmp_path / "names.xlsx"
    assert runner.invoke(app, ["names", "export", str(out), "--db", db]).exit_code == 0
    book = openpyxl.load_workbook(out)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    col = {h: header.index(h) for h in ("id", "标准名称 name", "批准文号 approval_ref", "lon")}
    edited = {}
    for row in sheet.iter_rows(min_row=2):
        if row[col["标准名称 name"]].value == "方林村":
            row[col["标准名称 name"]].value = "方林新村"  # a rename
            edited["rename"] = row[col["id"]].value
        elif row[col["标准名称 name"]].value == "路南街道":
            row[col["批准文号 approval_ref"]].value = "路政〔2026〕8号"  # a field filled in
            edited["field"] = row[col["id"]].value
        elif row[col["标准名称 name"]].value == "迎宾社区":
            row[col["lon"]].value = round(row[col["lon"]].value + 0.001, 8)  # moved about 100 m
            edited["move"] = row[col["id"]].value
    book.save(out)
    store = GeoPackageStore(db)
    audit_before = len(store.audit(limit=None))
    done = runner.invoke(app, ["names", "import", str(out), "--update", "--db", db])
    assert done.exit_code == 0, done.output
    assert "(新增 0 条,更新 3 条,未变 247 条);已作为一个变更集写入 3 条" in done.output
    renamed, filled, moved = (store.get("place_names", edited[k]) for k in ("rename", "field", "move"))
    assert (renamed.properties["name"], renamed.version) == ("方林新村", 2)
    assert json.loads(renamed.properties["former_names"])[0]["name"] == "方林村"
    assert (filled.properties["approval_ref"], filled.version) == ("路政〔2026〕8号", 2)
    assert moved.version == 2 and moved.properties["name"] == "迎宾社区"
    new = store.audit(limit=None)[audit_before:]
    assert sorted(e.feature_id for e in new) == sorted(edited.values()) and len({e.changeset_id for e in new}) == 1
    assert [h.record.name for h in Gazetteer(store).search("方林新村")] == ["方林新村"]


def test_a_correction_of_a_name_changed_since_the_export_is_refused(db: str, tmp_path: Path) -> None:
    out = tmp_path / "names.csv"
    assert runner.invoke(app, ["names", "export", str(out), "--db", db]).exit_code == 0
    from mzgis.store import GeoPackageStore

    village = GeoPackageStore(db).features("place_names", where={"name": "方林村"})[0]
    moved = runner.invoke(
        app,
        [
            "names",
            "move",
            str(village.id),
            "--lon",
            "121.3746",
            "--lat",
            "28.5519",
            "--version",
            "1",
            "--reason",
            "测量",
            "--db",
            db,
        ],
    )
    assert moved.exit_code == 0, moved.output
    out.write_text(out.read_text(encoding="utf-8-sig").replace(",方林村,", ",方林新村,", 1), encoding="utf-8")
    stale_line = f"[无法导入] 标准地名“方林村”(#{village.id})已被 "
    dry = runner.invoke(app, ["names", "import", str(out), "--update", "--dry-run", "--db", db])
    assert dry.exit_code == 5 and stale_line in dry.output and "(当前版本 2,你的版本 1)" in dry.output, dry.output
    stale = runner.invoke(app, ["names", "import", str(out), "--update", "--db", db])
    assert stale.exit_code == 5 and stale_line in stale.output and "(当前版本 2,你的版本 1)" in stale.output
    assert [line for line in dry.output.splitlines() if "无法导入" in line] == [
        line for line in stale.output.splitlines() if "无法导入" in line
    ]  # the dry run said exactly what the real run refused
    assert GeoPackageStore(db).get("place_names", village.id).properties["name"] == "方林村"
    missing = tmp_path / "no-id.csv"
    missing.write_text(
        "名称,地名类别,所在区划代码,经度,纬度\n新塘村,self_governing_org,331004001,121.37,28.55\n", "utf-8"
    )
    no_id = runner.invoke(app, ["names", "import", str(missing), "--update", "--db", db])
    assert (no_id.exit_code, no_id.output.strip()) == (2, "错误:no-id.csv 没有编号(id)或地名代码列,无法按编号更新")


def test_a_dry_run_that_finds_errors_exits_non_zero(db: str, tmp_path: Path) -> None:
    src = tmp_path / "names.csv"
    src.write_text("名称,地名类别,所在区划代码,经度,纬度\n环球大厦,building,331004002,121.39,28.58\n", encoding="utf-8")
    dry = runner.invoke(app, ["names", "import", str(src), "--dry-run", "--db", db])
    assert dry.exit_code == 5 and "试运行,未写入" in dry.output and "夸大" in dry.output


def test_columns_named_otherwise_are_mapped_with_map(db: str, tmp_path: Path) -> None:
    src = tmp_path / "民政局地名表.csv"
    src.write_text("地名,类,区划,X坐标,Y坐标\n新塘村,群众自治组织,331004001,121.3746,28.5519\n", encoding="utf-8")
    mapping = "地名=name,类=category,区划=admin_code,X坐标=lon,Y坐标=lat"
    done = runner.invoke(app, ["names", "import", str(src), "--map", mapping, "--db", db])
    assert done.exit_code == 0 and "已作为一个变更集写入 1 条" in done.output, done.output
    from mzgis.store import GeoPackageStore

    (new,) = GeoPackageStore(db).features("place_names", where={"name": "新塘村"})
    assert (new.properties["category"], shape(new.geometry).x) == ("self_governing_org", 121.3746)
    wrong = runner.invoke(app, ["names", "import", str(src), "--map", "地名=name,类别=category", "--db", db])
    assert wrong.exit_code == 2 and "没有列 类别(--map 中的源列)" in wrong.output
    bad = runner.invoke(app, ["import", "eldercare_facilities", str(src), "--map", "地名", "--db", db])
    assert (bad.exit_code, bad.output.strip()) == (2, "错误:列对应“地名”应写成 源列=字段,如 adcode=code")


def test_a_saved_mapping_serves_every_later_import_of_that_source(db: str, tmp_path: Path) -> None:
    first = tmp_path / "街道报表1.csv"
    first.write_text("地名,类,区划,X坐标,Y坐标\n新塘村,群众自治组织,331004001,121.3746,28.5519\n", encoding="utf-8")
    mapping = "地名=name,类=category,区划=admin_code,X坐标=lon,Y坐标=lat"
    # a dry run that passes saves it (the officer tries the mapping before writing anything)
    tried = runner.invoke(
        app, ["names", "import", str(first), "--map", mapping, "--dry-run", "--save-map", "街道报表", "--db", db]
    )
    assert tried.exit_code == 0, tried.output
    assert "已保存列对应“街道报表”(place_names):地名=name,类=category" in tried.output
    listed = runner.invoke(app, ["maps", "--db", db])
    assert listed.output.startswith(
        "街道报表  图层 place_names  地名=name,类=category,区划=admin_code,X坐标=lon,Y坐标=lat"
    )
    second = tmp_path / "街道报表2.csv"
    second.write_text("地名,类,区划,X坐标,Y坐标\n五塘村,群众自治组织,331004001,121.3750,28.5520\n", encoding="utf-8")
    done = runner.invoke(app, ["names", "import", str(second), "--use-map", "街道报表", "--db", db])
    assert done.exit_code == 0 and "已作为一个变更集写入 1 条" in done.output, done.output
    # --map adds to or overrides the saved one for this file
    third = tmp_path / "街道报表3.csv"
    third.write_text("名字,类,区划,X坐标,Y坐标\n六塘村,群众自治组织,331004001,121.3752,28.5522\n", encoding="utf-8")
    both = runner.invoke(
        app, ["names", "import", str(third), "--use-map", "街道报表", "--map", "名字=name", "--db", db]
    )
    assert both.exit_code == 2 and "没有列 地名" in both.output  # the saved 地名=name is still asked for
    # refusals: unknown name (lists the saved ones), another layer's mapping, a failed import saves nothing
    unknown = runner.invoke(app, ["names", "import", str(second), "--use-map", "统计局", "--db", db])
    assert unknown.exit_code == 3 and "没有保存的列对应“统计局”;已保存:街道报表" in unknown.output
    other = runner.invoke(app, ["import", "eldercare_facilities", str(second), "--use-map", "街道报表", "--db", db])
    assert (
        other.exit_code == 2
        and "列对应“街道报表”是为图层 place_names 保存的,不能用于 eldercare_facilities" in other.output
    )
    bad = runner.invoke(app, ["names", "import", str(second), "--map", "地名=name", "--save-map", "坏的", "--db", db])
    assert bad.exit_code != 0 and "坏的" not in runner.invoke(app, ["maps", "--db", db]).output
    gone = runner.invoke(app, ["maps", "--delete", "街道报表", "--db", db])
    assert gone.exit_code == 0 and "还没有保存的列对应" in runner.invoke(app, ["maps", "--db", db]).output


def test_revert_command(db: str) -> None:
    from mzgis.store import GeoPackageStore

    village = GeoPackageStore(db).features("place_names", where={"name": "方林村"})[0]
    args = ["--db", db]
    assert (
        runner.invoke(
            app, ["names", "rename", str(village.id), "方林新村", "--version", "1", "--reason", "更名", *args]
        ).exit_code
        == 0
    )
    no_reason = runner.invoke(app, ["names", "revert", str(village.id), "--to-version", "1", "--version", "2", *args])
    assert (no_reason.exit_code, no_reason.output.strip()) == (2, "错误:恢复到旧版本必须说明原因")
    done = runner.invoke(
        app, ["names", "revert", str(village.id), "--to-version", "1", "--version", "2", "--reason", "未获批准", *args]
    )
    assert done.exit_code == 0 and done.output.strip().endswith("方林村 已恢复为版本 1 的内容(新版本 3)")


def test_the_naming_procedure_on_the_command_line(db: str, tmp_path: Path) -> None:
    args = ["--db", db]
    made = runner.invoke(
        app,
        ["names", "add", "金清大桥", "--category", "transport_facility", "--subcategory", "bridge", "--admin", "331004106",
         "--lon", "121.49", "--lat", "28.525", "--status", "proposed", "--reason", "拟建", *args],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    from mzgis.store import GeoPackageStore

    (name,) = GeoPackageStore(db).features("place_names", where={"name": "金清大桥"})
    applied = runner.invoke(
        app,
        ["names", "apply", str(name.id), "--applicant", "金清镇", "--reasons", "新建桥梁", "--on", "2026-09-01", *args],
    )
    assert applied.exit_code == 0 and "已申报:金清大桥(申报编号 1,版本 1)" in applied.output, applied.output
    wrong = runner.invoke(app, ["names", "step", "1", "approve", "--version", "1", "--approval-ref", "x", *args])
    assert wrong.exit_code == 4 and "在申报环节,不能批准" in wrong.output
    steps = [
        ["accept", "--version", "1", "--on", "2026-09-02"],
        ["review", "--version", "2", "--on", "2026-09-10", "--expert-opinion", "同意"],
        ["approve", "--version", "3", "--on", "2026-09-20", "--approval-ref", "路政地〔2026〕7号"],
    ]
    for step in steps:
        done = runner.invoke(app, ["names", "step", "1", *step, *args])
        assert done.exit_code == 0, done.output
    assert done.output.strip() == "金清大桥:批准(版本 4)"
    late = runner.invoke(app, ["names", "queue", "--overdue", *args])
    assert "#1 金清大桥  批准  申报 2026-09-01  金清镇  版本 4  批准后" in late.output and "日未公告" in late.output
    scan = tmp_path / "批复.pdf"
    scan.write_bytes(b"%PDF-1.4 approval letter")
    attached = runner.invoke(app, ["names", "attach", "1", str(scan), "--note", "批复文件", *args])
    assert attached.exit_code == 0 and "已添加附件 批复.pdf" in attached.output
    out = tmp_path / "公告.docx"
    made = runner.invoke(app, ["names", "announcement", "--out", str(out), "--issuer", "台州市路桥区人民政府", *args])
    assert made.exit_code == 0 and out.read_bytes()[:2] == b"PK", made.output


def test_an_officer_named_with_user_writes_only_within_their_jurisdiction(db: str, tmp_path: Path) -> None:
    """``--user 金清编辑`` (an account confined to 金清镇): the CLI keeps that officer to 金清镇 as the API does;
    the system account alone is not confined."""
    args = ["--db", db]
    added = runner.invoke(
        app,
        ["users", "add", "金清编辑", "--role", "editor", "--scope", "331004106", "--password-stdin", *args],
        input="Correct-horse-1\n",
    )
    assert added.exit_code == 0, added.output
    bridge = ["names", "add", "金清大桥", "--category", "transport_facility", "--subcategory", "bridge",
              "--lon", "121.49", "--lat", "28.525", "--reason", "新建", *args]  # fmt: skip
    outside = runner.invoke(app, [*bridge[:2], "路南大桥", *bridge[3:], "--admin", "331004001", "--user", "金清编辑"])
    assert outside.exit_code == 8, outside.output
    assert (
        "管辖范围是金清镇（331004106）,不能修改属于路南街道（331004001）的地名“路南大桥”;未作任何修改" in outside.output
    )
    inside = runner.invoke(app, [*bridge, "--admin", "331004106", "--user", "金清编辑"])
    assert inside.exit_code == 0, inside.output
    from mzgis.store import GeoPackageStore

    store = GeoPackageStore(db)
    assert store.features("place_names", where={"name": "路南大桥"}) == []
    (village,) = store.features("place_names", where={"name": "方林村"})  # in 路南街道
    retire = ["names", "retire", str(village.id), "--version", str(village.version), "--reason", "撤并", *args]
    assert runner.invoke(app, [*retire, "--user", "金清编辑"]).exit_code == 8
    assert store.get("place_names", village.id).properties["status"] == "current"
    rows = tmp_path / "names.csv"
    rows.write_text(
        "name,category,subcategory,admin_code,lon,lat\n"
        "金清二桥,transport_facility,bridge,331004106,121.491,28.526\n"
        "路南二桥,transport_facility,bridge,331004001,121.37,28.55\n",
        encoding="utf-8",
    )
    imported = runner.invoke(app, ["names", "import", str(rows), "--user", "金清编辑", *args])
    assert (
        imported.exit_code == 5
        and "第 3 行 路南二桥:[无法导入]" in imported.output
        and "管辖范围是金清镇" in imported.output
    )
    assert store.features("place_names", where={"name": "金清二桥"}) == []  # a rejected import writes nothing
    mine = runner.invoke(app, [*bridge[:2], "路南大桥", *bridge[3:], "--admin", "331004001"])  # no --user
    assert mine.exit_code == 0, mine.output


@pytest.mark.parametrize(
    ("name", "category", "lines"),
    [
        (
            "椒北公园",
            "memorial_scenic",
            ["椒北公园  Jiaobei Gongyuan(专名 椒北,通名 公园)", "  未发现问题"],
        ),
        ("鸿西路", "transport_facility", ["鸿西路  Hongxi Lu(专名 鸿西,通名 路)", "  未发现问题"]),
    ],
)
def test_a_one_character_specific_keeps_its_direction(db: str, name: str, category: str, lines: list[str]) -> None:
    """椒北 and 鸿西 are specifics of their own: the spelling follows the split (no basis line of other words)."""
    out = runner.invoke(app, ["names", "check-name", name, "--category", category, "--admin", "331004001", "--db", db])
    assert out.output.splitlines()[:2] == lines, out.output
