from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

from mzgis.cli import app

runner = CliRunner()


def test_every_command_has_help() -> None:
    for command in ("init", "info", "coords", "import", "serve", "layers"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, command
        assert "用法:" in result.output


def test_init_empty_and_refuse_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "new.gpkg"
    assert runner.invoke(app, ["init", str(path)]).exit_code == 0
    assert {str(n) for n, _ in pyogrio.list_layers(path)} >= {"admin_units", "boundary_markers"}
    again = runner.invoke(app, ["init", str(path)])
    assert again.exit_code == 4 and "已存在" in again.output
    assert runner.invoke(app, ["init", str(path), "--demo", "--force"]).exit_code == 0
    assert pyogrio.read_info(path, layer="admin_units")["features"] == 244


def test_info_on_the_demo(tmp_path: Path) -> None:
    path = tmp_path / "demo.gpkg"
    runner.invoke(app, ["init", str(path), "--demo"])
    result = runner.invoke(app, ["info", "--db", str(path)])
    assert result.exit_code == 0
    assert re.search(r"admin_units\s+行政区划\s+MULTIPOLYGON\s+244 条", result.output)
    assert "EPSG:4490" in result.output and "EPSG:4549" in result.output


def test_a_setting_that_is_not_valid_is_named_as_it_is_set(demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MZGIS_SECURITY_LEVEL", "4")
    monkeypatch.setenv("MZGIS_IDLE_MINUTES", "半小时")
    out = CliRunner().invoke(app, ["info", "--db", str(demo_path)])
    assert out.exit_code == 2
    assert out.output.strip() == "错误:设置有误:MZGIS_IDLE_MINUTES=半小时:应为数值;MZGIS_SECURITY_LEVEL=4:不能大于 3"


def test_coords_prints_lon_lat_with_eight_or_more_decimals() -> None:
    result = runner.invoke(app, ["coords", "--from", "gcj02", "--to", "cgcs2000", "121.4", "28.6"])
    assert result.exit_code == 0
    lon, lat = result.output.split()
    assert len(lon.split(".")[1]) >= 8 and len(lat.split(".")[1]) >= 8
    assert abs(float(lon) - 121.3955679) < 1e-6 and abs(float(lat) - 28.6029724) < 1e-6
    back = runner.invoke(app, ["coords", "--from", "cgcs2000", "--to", "gcj02", lon, lat])
    assert [round(float(v), 8) for v in back.output.split()] == [121.4, 28.6]
    gk = runner.invoke(app, ["coords", "--from", "wgs84", "--to", "EPSG:4549", "120", "30"])
    assert gk.output.split()[0] == "500000.00000000"


def test_coords_refuses_swapped_input_in_one_line() -> None:
    result = runner.invoke(app, ["coords", "28.6", "121.4"])
    assert result.exit_code == 2
    assert "写反" in result.output and "Traceback" not in result.output


def test_not_a_geopackage_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.gpkg"
    bad.write_text("hello", encoding="utf-8")
    result = runner.invoke(app, ["info", "--db", str(bad)])
    assert result.exit_code == 6
    assert result.output.strip().count("\n") == 0 and "不是 GeoPackage 文件" in result.output


def test_import_dry_run_then_real_then_rejected(tmp_path: Path) -> None:
    db = tmp_path / "demo.gpkg"
    runner.invoke(app, ["init", str(db), "--demo"])
    csv = tmp_path / "complexes.csv"
    pd.DataFrame(
        {
            "名称": ["石曲社区综合体"],
            "类型": ["urban"],
            "所在区划代码": ["331004001005"],
            "经度": [121.372],
            "纬度": [28.555],
        }
    ).to_csv(csv, index=False)
    dry = runner.invoke(
        app, ["import", "community_complexes", str(csv), "--from-crs", "gcj02", "--dry-run", "--db", str(db)]
    )
    assert dry.exit_code == 0 and "试运行" in dry.output
    assert pyogrio.read_info(db, layer="community_complexes")["features"] == 2
    real = runner.invoke(app, ["import", "community_complexes", str(csv), "--from-crs", "gcj02", "--db", str(db)])
    assert real.exit_code == 0 and "已导入 1 条" in real.output
    assert pyogrio.read_info(db, layer="community_complexes")["features"] == 3
    bad = runner.invoke(app, ["import", "community_complexes", str(csv), "--from-crs", "mars", "--db", str(db)])
    assert bad.exit_code == 2 and "不认识的坐标系" in bad.output


def test_import_with_rejected_rows_exits_nonzero(tmp_path: Path) -> None:
    db = tmp_path / "demo.gpkg"
    runner.invoke(app, ["init", str(db), "--demo"])
    csv = tmp_path / "c.csv"
    pd.DataFrame(
        {"name": ["甲"], "kind": ["suburban"], "admin_code": ["331004001005"], "lon": [121.372], "lat": [28.555]}
    ).to_csv(csv, index=False)
    result = runner.invoke(app, ["import", "community_complexes", str(csv), "--db", str(db)])
    assert result.exit_code == 5
    assert "第 2 行 甲:类型(kind)的值“suburban”不在允许范围内" in result.output  # the sheet's row: header is row 1
    assert pyogrio.read_info(db, layer="community_complexes")["features"] == 2


def test_import_update_by_key(tmp_path: Path) -> None:
    db = tmp_path / "demo.gpkg"
    runner.invoke(app, ["init", str(db), "--demo"])
    csv = tmp_path / "markers.csv"
    csv.write_text("marker_id,condition\n路黄13,intact\n", encoding="utf-8")  # repaired
    refused = runner.invoke(app, ["import", "boundary_markers", str(csv), "--db", str(db)])
    assert refused.exit_code == 2 and "缺少必填列" in refused.output
    done = runner.invoke(app, ["import", "boundary_markers", str(csv), "--update", "--user", "界线科", "--db", str(db)])
    assert done.exit_code == 0 and "已新增 0 条,更新 1 条,未变 0 条" in done.output
    markers = pyogrio.read_dataframe(db, layer="boundary_markers")
    assert markers.loc[markers.marker_id == "路黄13", "condition"].item() == "intact"


def test_exact_suggestions_print_only_json(tmp_path: Path) -> None:
    """The solver's banner (printed by native code when HiGHS starts) never mixes into --json output."""
    import json
    import os
    import subprocess
    import sys

    from mzgis.settings import default_demo_path

    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mzgis.cli import main; main()",
            "coverage",
            "suggest",
            "--type",
            "burial_site",
            "--exact",
            "--json",
            "--db",
            str(default_demo_path()),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ | {"MZGIS_USER": ""},
    )
    assert done.returncode == 0, done.stderr
    assert "HiGHS" not in done.stdout and json.loads(done.stdout)["type"] == "burial_site"


def test_a_database_url_is_never_taken_for_a_file_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"postgresql://mzgis@{str(tmp_path / 'no-server').replace('/', '%2F')}/taizhou"
    made = runner.invoke(app, ["init", url])
    assert made.exit_code == 6, made.output  # a database that cannot be reached, said in one line
    assert f"无法连接数据库 {url}" in made.output
    assert list(tmp_path.iterdir()) == []  # no folder "postgresql:" with a GeoPackage in it
    info = runner.invoke(app, ["info", "--db", url.replace("postgresql://", "postgres:/")])  # as a path folds it
    assert info.exit_code == 6 and "无法连接数据库" in info.output


def test_every_help_is_in_chinese_the_frameworks_words_too() -> None:
    """Every command's ``--help`` holds no English sentence (three English words in a row): the help texts
    show their Chinese only, click's and Typer's own words (help option, required, default, panels, usage) are
    translated, and the value types are Chinese words."""
    import re

    import typer.main

    root = typer.main.get_command(app)

    def paths(command: object, path: list[str]) -> list[list[str]]:
        found = [path]
        for name, sub in getattr(command, "commands", {}).items():
            found += paths(sub, [*path, name])
        return found

    sentence = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}\b")
    checked = []
    for path in paths(root, []):
        out = runner.invoke(app, [*path, "--help"], prog_name="mzgis", terminal_width=200).output
        shown = out.replace(" ".join(["mzgis", *path]), "")  # the command's own name
        assert not sentence.findall(shown), (path, sentence.findall(shown))
        assert "显示本帮助并退出。" in out and "用法: " in out and "<str>" not in out
        checked.append(" ".join(path))
    assert len(checked) > 50 and "names announcement" in checked and "backup" in checked


def test_usage_errors_are_in_chinese() -> None:
    missing = runner.invoke(app, ["names", "add"], prog_name="mzgis", terminal_width=200)
    assert missing.exit_code == 2 and "缺少参数 标准名称。" in missing.output
    usage = runner.invoke(app, ["users", "scope", "--help"], prog_name="mzgis", terminal_width=200)
    assert "用法: mzgis users scope [选项] {用户名} {区划代码前缀}" in usage.output
    wrong = runner.invoke(app, ["names", "adx"], prog_name="mzgis", terminal_width=200)
    assert "没有命令 'adx',是否想用 'add'?" in wrong.output
    number = runner.invoke(
        app, ["names", "add", "x", "--category", "y", "--admin", "1", "--lon", "东经", "--lat", "1"], terminal_width=200
    )
    assert "'--lon' 的值不对:应为数字" in number.output
    extra = runner.invoke(app, ["names", "history", "1", "2"], prog_name="mzgis", terminal_width=200)
    assert extra.exit_code == 2 and "多了参数:2" in extra.output and "unexpected" not in extra.output
