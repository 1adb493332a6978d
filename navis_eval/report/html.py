"""Small HTML building blocks shared by the run and trend reports.

Every value that reaches the page passes through :func:`esc` unless it is markup built here; the
pages carry no script and load nothing (inline CSS, images as data: URIs), so a report opens
offline and engine output can never run in the reader's browser.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from typing import Any

from navis_eval.report.fmt import esc, pct

CSS = """
:root{--fg:#1a202c;--muted:#4a5568;--line:#e2e8f0;--bg:#fff;--pass:#276749;--pass-bg:#f0fff4;--fail:#9b2c2c;
--fail-bg:#fff5f5;--info:#2c5282;--info-bg:#ebf8ff;--warn:#975a16;--warn-bg:#fffaf0}
*{box-sizing:border-box}
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);
background:var(--bg);margin:0;line-height:1.45;font-size:14px}
main{max-width:1160px;margin:0 auto;padding:20px 28px 60px}
h1{font-size:22px;margin:4px 0}h2{font-size:18px;margin:34px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:0 0 6px}
.meta{color:var(--muted);font-size:13px;margin:2px 0}.meta code{font-size:12px}
nav{margin:14px 0;font-size:13px}nav a{margin-right:14px;color:var(--info)}
.verdict{border-radius:8px;padding:14px 18px;margin:16px 0;border:1px solid}
.verdict h2{border:0;margin:0 0 6px;padding:0;font-size:20px}
.verdict.pass{background:var(--pass-bg);border-color:#9ae6b4;color:var(--pass)}
.verdict.fail{background:var(--fail-bg);border-color:#feb2b2;color:var(--fail)}
.verdict.info{background:var(--info-bg);border-color:#90cdf4;color:var(--info)}
.verdict ul{margin:6px 0 0 18px;padding:0;color:var(--fg)}.verdict p{margin:4px 0;color:var(--fg)}
.warn{background:var(--warn-bg);border:1px solid #fbd38d;color:var(--warn);border-radius:6px;padding:8px 12px;margin:10px 0}
table{border-collapse:collapse;margin:8px 0 14px;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:5px 10px;text-align:left;vertical-align:top}
th{background:#f7fafc;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.cell{text-align:center;font-variant-numeric:tabular-nums;white-space:nowrap}
.small{font-size:12px;color:var(--muted)}
img.plot{max-width:100%;height:auto;display:block;margin:6px 0 4px;border:1px solid var(--line);border-radius:4px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;margin-right:4px}
.badge.failed,.badge.fail{background:#fed7d7;color:var(--fail)}.badge.passed,.badge.pass{background:#c6f6d5;color:var(--pass)}
.badge.unscored,.badge.skip{background:#edf2f7;color:var(--muted)}.badge.high{background:#feebc8;color:#7b341e}
article.flag{border:1px solid var(--line);border-left:4px solid #e53e3e;border-radius:6px;padding:12px 16px;margin:14px 0}
article.flag.unscored{border-left-color:#a0aec0}
.question{font-style:italic;margin:4px 0 8px}
.answer{white-space:pre-wrap;word-wrap:break-word;background:#f7fafc;border:1px solid var(--line);border-radius:4px;
padding:10px 12px;max-height:420px;overflow:auto;font-size:13px;margin:6px 0}
mark{background:#fed7d7;color:#742a2a;border-bottom:2px solid #e53e3e;padding:0 1px}
ul.checks{list-style:none;padding:0;margin:6px 0}ul.checks li{margin:3px 0}ul.reasons{margin:2px 0 4px 22px;padding:0}
.support{color:var(--pass)}.nosupport{color:var(--fail)}
details summary{cursor:pointer;color:var(--info);font-size:13px}
.ctx{white-space:pre-wrap;font-size:12px;background:#fcfcfc;border:1px solid var(--line);padding:6px 8px;margin:4px 0}
code{font-family:SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
"""


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def img(png: bytes | None, alt: str) -> str:
    if not png:
        return '<p class="small">(no data to plot)</p>'
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="plot" alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def table(headers: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]], *, cls: str = "") -> str:
    """``headers`` are (escaped label, css class); row cells are already-built HTML."""
    head = "".join(f'<th class="{c}">{h}</th>' for h, c in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="{headers[i][1]}">{cell}</td>' for i, cell in enumerate(row)) + "</tr>" for row in rows
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def rate_cell(entry: dict[str, Any] | None) -> str:
    """A coloured table cell body for a pass-rate entry (the colour is presentation only)."""
    if not entry or not entry.get("n"):
        return '<span class="small">–</span>'
    rate = float(entry["pass_rate"])
    hue = int(round(rate * 120))
    tip = f"{entry['passed']}/{entry['n']} passed; 95% CI {pct(entry['ci_low'])}–{pct(entry['ci_high'])}"
    if entry.get("unscored"):
        tip += f"; {entry['unscored']} unscored"
    return (
        f'<span title="{esc(tip)}" style="display:block;background:hsl({hue},70%,90%);border-radius:3px;padding:1px 4px">'
        f'{esc(pct(rate, 0))} <span class="small">{entry["passed"]}/{entry["n"]}</span></span>'
    )


def badge(text: str, cls: str) -> str:
    return f'<span class="badge {esc(cls)}">{esc(text)}</span>'
