"""Markdown-aware segmentation of answers into blocks and sentences, keeping character offsets.

Answers arrive as markdown, as plain text with headings on their own lines, with bullets such as
"•", numbered lists and hard-wrapped lines. Checks need sentences with exact offsets into the
original answer (evidence spans must point at the text a reviewer sees), so segmentation works in
two passes: first split into blocks (headings, list items, paragraphs; wrapped lines joined), then
split each block into sentences with syntok, which handles abbreviations such as "Dr.", "e.g." and
"vs." well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

BlockKind = Literal["heading", "list_item", "paragraph"]

_ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•◦▪‣●·–]|\u2022)\s+")
_NUMBERED = re.compile(r"^\s*(?:\(?\d{1,2}[.)]|\(?[a-zA-Z][.)]|step\s+\d+\s*[:.)-])\s+", re.IGNORECASE)
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?P<inner>[^*_].*?)(\*\*|__)\s*:?\s*$")
_SETEXT = re.compile(r"^\s*(=+|-{2,})\s*$")
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_TERMINAL = re.compile(r"[.!?…]['\")\]]*$")
_WORD = re.compile(r"[A-Za-z0-9']+")
_DIGIT_ITEM = re.compile(r"^\s*\(?\d{1,2}[.)]\s")
_ENDS_SENTENCE = re.compile(r"[.!?…:;]['\")\]*_”’]*\s*$")


@dataclass(frozen=True, slots=True)
class Block:
    """A heading, list item or paragraph; ``start``/``end`` are offsets into the answer."""

    kind: BlockKind
    start: int
    end: int
    text: str
    numbered: bool = False
    bullet: bool = False
    lead_in: bool = False  # a paragraph ending in ":" that introduces what follows


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence with offsets into the answer and the index of the block it belongs to."""

    start: int
    end: int
    text: str
    block: int
    block_kind: BlockKind


@dataclass(frozen=True, slots=True)
class Segmented:
    text: str
    blocks: tuple[Block, ...]
    sentences: tuple[Sentence, ...]


def _strip_emphasis(text: str) -> str:
    return re.sub(r"(\*\*|__|\*|_|`)", "", text).strip()


def heading_text(block: Block) -> str:
    """The words of a heading without markdown markers, numbering or a trailing colon."""
    text = block.text
    match = _ATX_HEADING.match(text)
    if match:
        text = match.group(2)
    text = _NUMBERED.sub("", text, count=1)
    return _strip_emphasis(text).rstrip(":").strip()


def _looks_like_plain_heading(line: str, next_line: str | None) -> bool:
    """A short title-like line with no sentence punctuation, followed by content."""
    stripped = _strip_emphasis(line.strip())
    if not stripped or len(stripped) > 90 or next_line is None:
        return False
    if stripped.endswith((",", ";")):
        return False
    words = _WORD.findall(stripped)
    if not 1 <= len(words) <= 12:
        return False
    if not stripped[0].isupper() and not stripped[0].isdigit():
        return False
    capitalised = sum(1 for w in words if w[0].isupper() or w[0].isdigit()) / len(words)
    if stripped.endswith("?"):
        # "Can Oligometastatic Mesothelioma Be Cured?" is a title; "What is my stage?" is a question.
        return capitalised >= 0.75 and len(words) >= 3
    if _TERMINAL.search(stripped):
        return False
    if stripped.endswith(":"):
        # "Why This Matters:" is a heading; "This is different from:" introduces a list.
        return capitalised >= 0.5
    return capitalised >= 0.5 or len(words) <= 4


def _standalone_numbered_title(lines: list[str], i: int, body: str) -> bool:
    """ "4. What this means for you" on a line of its own, between blank lines and followed by
    content that is not the next numbered item, is a numbered section heading, not a list item."""
    stripped = _strip_emphasis(body.strip())
    if not stripped or not (stripped[0].isupper() or stripped[0].isdigit()):
        return False
    if re.search(r"[.!?;,]$", stripped) or not 1 <= len(_WORD.findall(stripped)) <= 10:
        return False
    if i + 1 < len(lines) and lines[i + 1].strip():
        return False
    if i > 0 and lines[i - 1].strip():
        return False
    for j in range(i + 1, len(lines)):
        if lines[j].strip():
            return not _NUMBERED.match(lines[j])
    return False


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        spans.append((pos, pos + len(body)))
        pos += len(line)
    return spans


def split_blocks(text: str) -> list[Block]:
    """Split an answer into headings, list items and paragraphs (wrapped lines joined)."""
    spans = _line_spans(text)
    lines = [text[s:e] for s, e in spans]
    blocks: list[Block] = []
    current: list[int] = []  # indices of lines in the open paragraph or list item
    current_kind: BlockKind = "paragraph"
    current_numbered = False
    current_bullet = False

    def close() -> None:
        nonlocal current, current_numbered, current_bullet
        if current:
            start = spans[current[0]][0]
            end = spans[current[-1]][1]
            # trim leading whitespace so offsets point at the first visible character
            while start < end and text[start].isspace():
                start += 1
            body = text[start:end]
            lead_in = current_kind == "paragraph" and body.rstrip().endswith(":")
            blocks.append(Block(current_kind, start, end, body, current_numbered, current_bullet, lead_in))
        current = []
        current_numbered = False
        current_bullet = False

    def next_content(index: int) -> str | None:
        for j in range(index + 1, len(lines)):
            if lines[j].strip():
                return lines[j]
        return None

    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or _RULE.match(line):
            close()
            continue
        if _SETEXT.match(line) and blocks and not current:
            continue
        if i + 1 < len(lines) and _SETEXT.match(lines[i + 1]) and not current:
            close()
            start, end = spans[i]
            while start < end and text[start].isspace():
                start += 1
            blocks.append(Block("heading", start, end, text[start:end]))
            continue
        atx = _ATX_HEADING.match(line)
        bold = _BOLD_LINE.match(line)
        numbered = bool(_NUMBERED.match(line))
        bullet = bool(_BULLET.match(line))
        is_heading = bool(atx) or bool(bold and len(_WORD.findall(bold.group("inner"))) <= 14)
        if not is_heading and not bullet and not current:
            candidate = _NUMBERED.sub("", line, count=1) if numbered else line
            is_heading = _looks_like_plain_heading(candidate, next_content(i)) and (
                not numbered or not candidate.rstrip().endswith("?")
            )
            if not is_heading and numbered:
                is_heading = _standalone_numbered_title(lines, i, candidate)
            elif is_heading and numbered and _DIGIT_ITEM.match(line) and _DIGIT_ITEM.match(next_content(i) or ""):
                is_heading = False  # "1. Surgery" followed by "2. Chemotherapy" is a list, not two headings
        if is_heading:
            close()
            start, end = spans[i]
            while start < end and text[start].isspace():
                start += 1
            blocks.append(Block("heading", start, end, text[start:end], numbered=numbered))
            continue
        if bullet or numbered:
            close()
            current = [i]
            current_kind = "list_item"
            current_numbered = numbered
            current_bullet = bullet
            continue
        if current:
            # a wrapped continuation line of the open paragraph or list item
            current.append(i)
        else:
            current = [i]
            current_kind = "paragraph"
    close()
    return blocks


_INNER_BREAK = re.compile(r"[.!?…]['\")\]”’*_]*\s+\S")


def _sentence_spans(text: str, offset: int) -> list[tuple[int, int]]:
    if not _INNER_BREAK.search(text):
        # no sentence end followed by more text: one sentence, no need for syntok (most list items,
        # short paragraphs); same span syntok returns, from first to last visible character
        stripped = text.strip()
        if not stripped:
            return []
        start = len(text) - len(text.lstrip())
        return [(offset + start, offset + start + len(stripped))]
    from syntok import segmenter

    out: list[tuple[int, int]] = []
    for paragraph in segmenter.analyze(text):
        for sentence in paragraph:
            if not sentence:
                continue
            first, last = sentence[0], sentence[-1]
            out.append((offset + first.offset, offset + last.offset + len(last.value)))
    return out


def _extend_to_closing_marks(text: str, end: int, limit: int) -> int:
    while end < limit and text[end] in "\"')]*_”’":
        end += 1
    return end


@lru_cache(maxsize=1024)
def segment(text: str) -> Segmented:
    """Blocks and sentences of an answer; cached because every check segments the same answer."""
    blocks = split_blocks(text)
    sentences: list[Sentence] = []
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            sentences.append(Sentence(block.start, block.end, block.text, index, block.kind))
            continue
        body_start = block.start
        marker = _BULLET.match(block.text) or _NUMBERED.match(block.text)
        if marker:
            body_start += marker.end()
        body = text[body_start : block.end]
        spans: list[tuple[int, int]] = []
        for start, end in _sentence_spans(body, body_start):
            end = _extend_to_closing_marks(text, end, block.end)
            if spans and not _ENDS_SENTENCE.search(text[spans[-1][0] : spans[-1][1]]):
                # syntok splits "NCCN (National ... Network) Guidelines for ..." after the ")":
                # a piece without closing punctuation continues into the next one
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        for start, end in spans:
            sentences.append(Sentence(start, end, text[start:end], index, block.kind))
    return Segmented(text, tuple(blocks), tuple(sentences))
