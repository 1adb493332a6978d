"""Answer and context text cut into segments, each knowing which evidence spans cover it.

Templates render a segment as plain (auto-escaped) text or as one ``<mark>`` carrying the
classes of the spans that cover it; no HTML is ever built from engine text here. Overlapping
spans of different checks are handled by cutting at every span boundary, so one piece of text
can be labelled by several checks at once.

Offsets come from results.jsonl. When they do not match the text (an edited answer, a check with
an off-by-one), the span is found by its text instead, and dropped only if it is not there at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Which span decides a segment's look when several overlap.
_STRENGTH = {"offending": 3, "found": 2, "supporting": 1, "nearest": 2, "support": 1}


@dataclass
class Mark:
    """One evidence span in the answer, or its counterpart sentence in a context."""

    id: str
    check: str
    color: int
    kind: str  # answer: offending | found | supporting; context: support | nearest
    note: str
    start: int
    end: int
    flagged: bool
    claim: int | None = None
    target: str | None = None  # id of the linked mark on the other side (answer <-> context)

    @property
    def label(self) -> str:
        name = self.check.replace("_", " ")
        if self.claim is None:
            return f"{name} · found" if self.kind == "found" else name
        if self.kind == "support":
            return f"supports claim {self.claim}"
        if self.kind == "nearest":
            return f"closest to unsupported claim {self.claim}"
        if self.kind == "supporting":
            return f"claim {self.claim} ✓"
        return f"{name} · claim {self.claim} unsupported"

    @property
    def tooltip(self) -> str:
        return f"{self.label}: {self.note}" if self.note else self.label


@dataclass
class Segment:
    text: str
    marks: list[Mark] = field(default_factory=list)
    starts: list[Mark] = field(default_factory=list)

    @property
    def primary(self) -> Mark | None:
        if not self.marks:
            return None
        return max(self.marks, key=lambda m: (_STRENGTH.get(m.kind, 0), m.flagged, -m.start))

    @property
    def tooltip(self) -> str:
        return "\n".join(dict.fromkeys(m.tooltip for m in self.marks))

    @property
    def label(self) -> str:
        return " | ".join(dict.fromkeys(m.label for m in self.starts))

    @property
    def mark_ids(self) -> str:
        return " ".join(m.id for m in self.marks)

    @property
    def target(self) -> str | None:
        for mark in sorted(self.marks, key=lambda m: -_STRENGTH.get(m.kind, 0)):
            if mark.target:
                return mark.target
        return None


@dataclass
class Highlighted:
    """The answer's segments, each context's segments, and every mark by result."""

    answer: list[Segment]
    contexts: list[list[Segment]]
    marks_by_check: dict[str, list[Mark]]
    unlocated: dict[str, int]


def locate(text: str, start: Any, end: Any, expected: str | None) -> tuple[int, int] | None:
    """Trust the offsets when they select the expected text; otherwise search for the text."""
    offsets_ok = isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
    if offsets_ok and (not expected or text[start:end] == expected):
        return start, end
    if expected:
        found = text.find(expected)
        if found >= 0:
            return found, found + len(expected)
    return None


def segments(text: str, marks: Sequence[Mark]) -> list[Segment]:
    """Cut ``text`` at every mark boundary; each piece lists the marks covering it."""
    cuts = {0, len(text)}
    for m in marks:
        cuts.add(m.start)
        cuts.add(m.end)
    points = sorted(c for c in cuts if 0 <= c <= len(text))
    out: list[Segment] = []
    started: set[str] = set()
    for a, b in zip(points, points[1:], strict=False):
        if a == b:
            continue
        covering = [m for m in marks if m.start <= a and m.end >= b]
        begins = [m for m in covering if m.id not in started]
        started.update(m.id for m in begins)
        if out and not covering and not out[-1].marks:
            out[-1].text += text[a:b]
        else:
            out.append(Segment(text[a:b], covering, begins))
    if not out and text:
        out.append(Segment(text))
    return out


def highlight(answer: str, contexts: Sequence[str], results: Sequence[Any], colors: dict[str, int]) -> Highlighted:
    """Build the marks for one answer from its check results (objects with check/status/evidence)."""
    answer_marks: list[Mark] = []
    context_marks: list[list[Mark]] = [[] for _ in contexts]
    by_check: dict[str, list[Mark]] = {}
    unlocated: dict[str, int] = {}
    n = 0
    for result in results:
        flagged = result.status == "failed"
        claims = sorted(
            (e for e in result.evidence if e.get("support") is not None or e.get("kind") == "supporting"),
            key=lambda e: (e.get("start", 0), e.get("end", 0)),
        )
        claim_no = {id(e): i + 1 for i, e in enumerate(claims)}
        for ev in result.evidence:
            kind = str(ev.get("kind") or "offending")
            if not flagged and kind != "supporting":
                continue  # a passed check's own findings are not flags; only its grounding links are shown
            where = locate(answer, ev.get("start"), ev.get("end"), ev.get("text"))
            if where is None:
                unlocated[result.check] = unlocated.get(result.check, 0) + 1
                continue
            n += 1
            mark = Mark(
                id=f"m{n}",
                check=result.check,
                color=colors.get(result.check, 0),
                kind=kind,
                note=str(ev.get("note") or ""),
                start=where[0],
                end=where[1],
                flagged=flagged,
                claim=claim_no.get(id(ev)),
            )
            support = ev.get("support")
            if isinstance(support, dict):
                ci = support.get("context_index")
                if isinstance(ci, int) and 0 <= ci < len(contexts):
                    spot = locate(contexts[ci], support.get("start"), support.get("end"), support.get("text"))
                    if spot is not None:
                        twin = Mark(
                            id=f"{mark.id}c",
                            check=result.check,
                            color=mark.color,
                            kind="nearest" if kind == "offending" else "support",
                            note=mark.note,
                            start=spot[0],
                            end=spot[1],
                            flagged=flagged,
                            claim=mark.claim,
                            target=mark.id,
                        )
                        mark.target = twin.id
                        context_marks[ci].append(twin)
            answer_marks.append(mark)
            by_check.setdefault(result.check, []).append(mark)
    return Highlighted(
        answer=segments(answer, answer_marks),
        contexts=[segments(text, marks) for text, marks in zip(contexts, context_marks, strict=True)],
        marks_by_check=by_check,
        unlocated=unlocated,
    )
