"""Reports as one list of blocks, written as HTML (printed to PDF by Chromium) and as Word (.docx, which
bureaus edit before stamping): the joint-inspection report and the coverage report say the same in both.

Blocks: headings, paragraphs, bullet lists, tables (a DataFrame, cells as officers read them), figures
(SVG for HTML, PNG for Word) and a signature block for the parties. Word gets A4 (or A4 landscape), 宋体
body text with 黑体 headings (the East Asian font set explicitly, as Word needs), tables with a repeated
bold header row.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "DOCUMENT_FORMATS",
    "Bullets",
    "Document",
    "Figure",
    "Heading",
    "Para",
    "Signatures",
    "Table",
    "cell_text",
    "date_zh",
    "document_bytes",
    "html_to_pdf",
    "to_docx",
    "to_html",
]


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2  # 1 is the document's title


@dataclass(frozen=True)
class Para:
    text: str
    small: bool = False
    align: str = "left"  # left, center or right (an issuer and date stand at the right, each on its line)


@dataclass(frozen=True)
class Bullets:
    items: list[str]


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame
    font_pt: float = 9.0


@dataclass(frozen=True)
class Figure:
    caption: str
    png: bytes
    svg: str | None = None  # HTML draws this (vector, text stays text) when given
    width_mm: float = 160.0


@dataclass(frozen=True)
class Signatures:
    parties: list[str]
    signer: str = "负责人"  # who signs for each party (联检负责人 …)


Block = Heading | Para | Bullets | Table | Figure | Signatures


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)
    landscape: bool = False
    css: str = ""  # extra HTML styles

    def add(self, *blocks: Block) -> Document:
        self.blocks.extend(blocks)
        return self


def date_zh(day: dt.date | str) -> str:
    """A date as documents write it: 2026年9月20日."""
    d = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
    return f"{d.year}年{d.month}月{d.day}日"


def cell_text(column: object, value: object) -> str:
    """A table cell as an officer reads it: '-' for no value, shares (columns ending in 率) as percentages,
    yes/no in Chinese."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and str(column).endswith("率"):
        return f"{value:.0%}"
    return str(value)


# ---------------------------------------------------------------- HTML

_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimSun", sans-serif;
       font-size: 10.5pt; color: #111; }
h1 { font-size: 18pt; text-align: center; margin: 0 0 4mm; }
h2 { font-size: 13pt; border-bottom: 1px solid #444; margin-top: 6mm; page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 4mm 0 2mm; page-break-after: avoid; }
table { border-collapse: collapse; width: 100%; page-break-inside: auto; }
th, td { border: 1px solid #666; padding: 2px 4px; text-align: left; }
th { background: #eee; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
figure { margin: 2mm 0; page-break-inside: avoid; }
figure svg, figure img { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 9pt; color: #333; text-align: center; }
.small { font-size: 8pt; color: #666; }
.sign { display: flex; gap: 10mm; margin-top: 6mm; page-break-inside: avoid; }
.sign div { flex: 1; border: 1px solid #444; padding: 4mm; min-height: 45mm; }
.keep { page-break-inside: avoid; }
"""


def _html_block(block: Block) -> str:
    e = html.escape
    if isinstance(block, Heading):
        return f"<h{block.level}>{e(block.text)}</h{block.level}>"
    if isinstance(block, Para):
        style = f' style="text-align:{block.align}"' if block.align != "left" else ""
        return f'<p class="small"{style}>{e(block.text)}</p>' if block.small else f"<p{style}>{e(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{e(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, Table):
        f = block.frame
        head = "".join(f"<th>{e(str(c))}</th>" for c in f.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{e(cell_text(c, v))}</td>" for c, v in zip(f.columns, row, strict=True)) + "</tr>"
            for row in f.itertuples(index=False)
        )
        return (
            f'<table style="font-size:{block.font_pt:g}pt"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        )
    if isinstance(block, Figure):
        inner = (
            block.svg
            or f'<img alt="{e(block.caption)}" src="data:image/png;base64,{base64.b64encode(block.png).decode()}">'
        )
        caption = f"<figcaption>{e(block.caption)}</figcaption>"
        return f'<figure style="max-width:{block.width_mm:g}mm">{inner}{caption}</figure>'
    parties = "".join(
        f"<div><b>{e(p)}</b><br><br>{e(block.signer)}(签字):<br><br><br>单位(盖章):<br><br><br>日期:</div>"
        for p in block.parties
    )
    return f'<div class="sign">{parties}</div>'


def to_html(doc: Document) -> str:
    size = "A4 landscape" if doc.landscape else "A4"
    margin = "12mm" if doc.landscape else "18mm 15mm"
    body = "\n".join(_html_block(b) for b in doc.blocks)
    return (
        f'<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(doc.title)}</title>\n'
        f"<style>@page {{ size: {size}; margin: {margin}; }}{_CSS}{doc.css}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )


# ---------------------------------------------------------------- Word

BODY_FONT = "宋体"
HEADING_FONT = "黑体"


def _east_asian(run_or_style: Any, name: str) -> None:
    """Set the font for Chinese text too (python-docx sets only the Latin font; Word then falls back)."""
    from docx.oxml.ns import qn

    run_or_style.font.name = name
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def _docx_table(d: Any, block: Table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    f = block.frame
    table = d.add_table(rows=1, cols=len(f.columns))
    table.style = "Table Grid"
    header = table.rows[0]
    marker = OxmlElement("w:tblHeader")  # the header row repeats on every page
    marker.set(qn("w:val"), "true")
    header._tr.get_or_add_trPr().append(marker)
    for cell, column in zip(header.cells, f.columns, strict=True):
        run = cell.paragraphs[0].add_run(str(column))
        run.bold = True
        run.font.size = Pt(block.font_pt)
    for row in f.itertuples(index=False):
        cells = table.add_row().cells
        for cell, column, value in zip(cells, f.columns, row, strict=True):
            cell.paragraphs[0].add_run(cell_text(column, value)).font.size = Pt(block.font_pt)


def to_docx(doc: Document) -> bytes:
    """The document as a Word file (.docx)."""
    from docx import Document as WordDocument
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    d = WordDocument()
    section = d.sections[0]
    section.page_width, section.page_height = (Mm(297), Mm(210)) if doc.landscape else (Mm(210), Mm(297))
    section.orientation = WD_ORIENT.LANDSCAPE if doc.landscape else WD_ORIENT.PORTRAIT
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Mm(15))
    for side in ("top_margin", "bottom_margin"):
        setattr(section, side, Mm(18 if not doc.landscape else 12))
    usable_mm = (297 if doc.landscape else 210) - 30
    normal = d.styles["Normal"]
    _east_asian(normal, BODY_FONT)
    normal.font.size = Pt(10.5)
    for level in (1, 2, 3):
        style = d.styles[f"Heading {level}"]
        _east_asian(style, HEADING_FONT)
        style.font.size = Pt({1: 18, 2: 14, 3: 11}[level])
        style.font.color.rgb = None
    d.core_properties.title = doc.title
    d.core_properties.author = "mzgis"
    for block in doc.blocks:
        if isinstance(block, Heading):
            h = d.add_heading(block.text, level=block.level)
            if block.level == 1:
                h.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif isinstance(block, Para):
            p = d.add_paragraph()
            run = p.add_run(block.text)
            if block.small:
                run.font.size = Pt(8)
            if block.align != "left":
                p.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}[block.align]
        elif isinstance(block, Bullets):
            for item in block.items:
                d.add_paragraph(item, style="List Bullet")
        elif isinstance(block, Table):
            _docx_table(d, block)
            d.add_paragraph()
        elif isinstance(block, Figure):
            d.add_picture(io.BytesIO(block.png), width=Mm(min(block.width_mm, usable_mm)))
            d.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            cap = d.add_paragraph(block.caption)
            cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
        else:
            table = d.add_table(rows=1, cols=len(block.parties))
            table.style = "Table Grid"
            for cell, party in zip(table.rows[0].cells, block.parties, strict=True):
                cell.paragraphs[0].add_run(party).bold = True
                for line in ("", f"{block.signer}(签字):", "", "", "单位(盖章):", "", "", "日期:", ""):
                    cell.add_paragraph(line)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


DOCUMENT_FORMATS = ("docx", "html", "pdf")


def document_bytes(doc: Document, fmt: str) -> bytes:
    """``doc`` as a Word file, an HTML page or (printed by Chromium) a PDF; a PDF that cannot be printed here
    is a :class:`~mzgis.errors.NotFound` naming why."""
    from mzgis.errors import BadInput, NotFound

    if fmt == "docx":
        return to_docx(doc)
    if fmt == "html":
        return to_html(doc).encode("utf-8")
    if fmt != "pdf":
        raise BadInput(f"文件格式应为 {'、'.join(DOCUMENT_FORMATS)},不是“{fmt}”", "unknown document format")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mzgis-doc-") as tmp:
        page, pdf = Path(tmp) / "doc.html", Path(tmp) / "doc.pdf"
        page.write_text(to_html(doc), encoding="utf-8")
        said = html_to_pdf(page, pdf)
        if not pdf.exists():
            raise NotFound(f"PDF {said};可改为导出 Word 或 HTML", "no PDF printed")
        return pdf.read_bytes()


def html_to_pdf(html_path: Path, pdf_path: Path) -> str:
    """Print the report to PDF with headless Chromium where it is installed (its fonts render Chinese);
    returns what happened, for the manifest."""
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        return "未生成:本机没有 Chromium,请用浏览器打开 HTML 报告打印(A4)"
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf_path}",
        html_path.resolve().as_uri(),
    ]
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    except (subprocess.SubprocessError, OSError) as exc:
        return f"未生成:Chromium 打印失败({type(exc).__name__})"
    return "已由 Chromium 按 A4 打印" if pdf_path.exists() else "未生成:Chromium 没有写出文件"
