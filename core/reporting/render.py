"""A model card as a file: Markdown, or one self-contained HTML page that opens offline (inline
CSS, charts as inline SVG from vl-convert, no script, no external address). Every piece of text
is escaped, in HTML and in Markdown alike, so an edited section holding HTML or Markdown shows as
typed."""

import html
import re
import tempfile
from pathlib import Path

import glossary
from core.foundation import files
from core.foundation.errors import InvalidInput
from core.reporting import report

FORMATS = ("html", "md")
CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2933;max-width:860px;
margin:2rem auto;padding:0 1.25rem;line-height:1.55}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #e4e7eb;
padding-bottom:.25rem}.made{color:#616e7c;font-size:.9rem}.headline{background:#f0f4f8;border-left:4px solid #2f6fb0;
padding:.75rem 1rem;font-size:1.1rem;margin:1.25rem 0}.edited{color:#8d5a00;font-size:.8rem;font-weight:normal;
margin-left:.5rem}.chart{margin:.75rem 0}.chart svg{max-width:100%;height:auto}dt{font-weight:600;margin-top:.6rem}
dd{margin-left:0;color:#3e4c59}@media print{body{margin:0;max-width:none}h2{break-after:avoid}.chart{break-inside:avoid}}
"""


def _blocks(text: str) -> list[tuple[str, list[str]]]:
    """Paragraphs ('p', [lines]) and bullet lists ('ul', [items]) of a section's plain text."""
    out = []
    for block in [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]:
        lines = [line.rstrip() for line in block.strip().split("\n")]
        if all(line.startswith("- ") for line in lines):
            out.append(("ul", [line[2:] for line in lines]))
        else:
            out.append(("p", lines))
    return out


def _edited(section: dict, lang: str) -> str | None:
    e = section["edited"]
    return None if not e else glossary.report("edited_mark", lang, who=e["edited_by"],
                                              when=e["edited_at"].replace("T", " ")[:16])


# Markdown would read user and data text (a user's name, a comment, an edited section, a column's
# values) as markup: '[x](http://evil)' a link, '<script>' HTML, '**' bold. Each is backslash-escaped,
# so the card shows the text as typed; plain prose (quotes, parentheses, full stops) is left alone.
MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~])")
MD_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")  # inside a word, _ is no emphasis
MD_ENTITY = re.compile(r"&(?=#?\w+;)")  # '&lt;' would show as '<'
MD_LINE_START = [
    (re.compile(r"^(\s*)(#)", re.M), r"\1\\\2"),  # a heading
    (re.compile(r"^(\s*)([-+])(?=\s|$|-)", re.M), r"\1\\\2"),  # a list item, a rule
    (re.compile(r"^(\s*\d+)([.)])(?=\s|$)", re.M), r"\1\\\2"),  # a numbered item
    (re.compile(r"^(\s*)(=+\s*)$", re.M), r"\1\\\2"),  # a heading's underline
]


def md_escape(text: str) -> str:
    """`text` as Markdown that shows it as typed (no link, no HTML, no emphasis, no heading)."""
    text = MD_SPECIAL.sub(r"\\\1", str(text))
    text = MD_EDGE_UNDERSCORE.sub(r"\\_", text)
    text = MD_ENTITY.sub(r"\\&", text)
    for pattern, replacement in MD_LINE_START:
        text = pattern.sub(replacement, text)
    return text


def _md_blocks(text: str) -> str:
    """A section's plain text as Markdown: its paragraphs and '- ' bullets kept, its words escaped
    (a line that goes on after a bullet, as a comment with a line break does, stays in that bullet)."""
    def line(x: str) -> str:
        return f"- {md_escape(x[2:])}" if x.startswith("- ") else md_escape(x)

    return "\n\n".join("\n".join(f"- {md_escape(x)}" if kind == "ul" else line(x) for x in lines)
                       for kind, lines in _blocks(text))


def to_markdown(card: dict) -> str:
    lang, e = card["lang"], md_escape
    out = [f"# {e(card['title'])}", "", f"_{e(card['made'])}_", "", f"**{e(card['headline'])}**", ""]
    for s in card["sections"]:
        mark = _edited(s, lang)
        out += [f"## {e(s['title'])}" + (f" _({e(mark)})_" if mark else ""), "", _md_blocks(s["text"]), ""]
    out += [f"## {e(glossary.report('sec_glossary', lang))}", "", e(glossary.report("glossary_intro", lang)), ""]
    out += [f"- **{e(g['term'])}**: {e(g['short'])}" for g in card["glossary"]]
    if any(s["edited"] for s in card["sections"]):
        out += ["", f"_{e(glossary.report('report_edited_note', lang))}_"]
    return "\n".join(out).rstrip() + "\n"


def _svg(spec: dict) -> str:
    import vl_convert

    return vl_convert.vegalite_to_svg(spec)


def to_html(card: dict) -> str:
    lang, e = card["lang"], html.escape
    body = [f"<h1>{e(card['title'])}</h1>", f'<p class="made">{e(card["made"])}</p>',
            f'<p class="headline">{e(card["headline"])}</p>']
    for s in card["sections"]:
        mark = _edited(s, lang)
        body.append(f'<section id="{e(s["id"])}"><h2>{e(s["title"])}'
                    + (f'<span class="edited">{e(mark)}</span>' if mark else "") + "</h2>")
        for kind, lines in _blocks(s["text"]):
            if kind == "ul":
                body.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in lines) + "</ul>")
            else:
                body.append("<p>" + "<br>".join(e(x) for x in lines) + "</p>")
        if s.get("chart"):
            body.append(f'<div class="chart">{_svg(s["chart"])}</div>')
        body.append("</section>")
    body.append(f'<section id="glossary"><h2>{e(glossary.report("sec_glossary", lang))}</h2>'
                f'<p>{e(glossary.report("glossary_intro", lang))}</p><dl>'
                + "".join(f"<dt>{e(g['term'])}</dt><dd>{e(g['short'])}</dd>" for g in card["glossary"])
                + "</dl></section>")
    if any(s["edited"] for s in card["sections"]):
        body.append(f'<p class="made">{e(glossary.report("report_edited_note", lang))}</p>')
    return (f'<!DOCTYPE html>\n<html lang="{"pt-BR" if lang == "pt" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{e(card['title'])}</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def render(run_id: str, *, fmt: str = "html", lang: str = "en") -> str:
    """The card's file content in one format."""
    if fmt not in FORMATS:
        raise InvalidInput(code="unknown_report_format", value=fmt, msg="unknown_report_format", format=fmt,
                           known=", ".join(FORMATS))
    card = report.build(run_id, lang)
    return to_html(card) if fmt == "html" else to_markdown(card)


def write(run_id: str, *, fmt: str = "html", output, lang: str = "en") -> dict:
    """Write the card to `output`, whole or not at all."""
    files.output_path(output, make=False)  # before the card is built
    text = render(run_id, fmt=fmt, lang=lang)
    path = files.output_path(output)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=f".{fmt}", delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
    Path(tmp.name).replace(path)
    return {"run_id": run_id, "format": fmt, "lang": lang, "output": str(path), "bytes": len(text.encode())}
