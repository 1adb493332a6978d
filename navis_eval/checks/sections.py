"""``required_sections``: the answer has every section the rubric's answer template requires.

A section is found by a heading (markdown ``#``, bold line, plain title line or numbered line)
whose words match the section's heading patterns, by an inline bold lead such as
"**Why this matters:** ...", or, for question sections, by a lead-in sentence such as "Some
questions you could ask:". The section's content runs until the next heading.
"""

from __future__ import annotations

import re
from functools import cached_property

from pydantic import Field

from navis_eval.checks.base import Case, Check, CheckConfig, Patterns, compile_patterns, span
from navis_eval.checks.text import Block, Sentence, heading_text
from navis_eval.models import CheckResult, EvidenceSpan


class SectionSpec(CheckConfig):
    name: str
    label: str
    heading_patterns: Patterns
    lead_in_patterns: Patterns = []
    min_questions: int = Field(default=0, ge=0)
    min_sentences: int = Field(default=1, ge=0)


class RequiredSectionsConfig(CheckConfig):
    sections: list[SectionSpec] = Field(min_length=1)


_INLINE_LEAD = re.compile(r"^\s*(?:\*\*|__)?(?P<head>[^:*_\n]{3,80}?)(?:\*\*|__)?\s*:(?:\*\*|__)?\s+\S")
_QUESTION_WORDS = re.compile(r"[A-Za-z]{2,}")


def _normalise_question(text: str) -> str:
    return " ".join(w.lower() for w in _QUESTION_WORDS.findall(text))


def _questions(sentences: list[Sentence]) -> list[Sentence]:
    """Distinct questions among sentences (a sentence may hold a quoted question)."""
    seen: set[str] = set()
    out = []
    for sentence in sentences:
        if "?" not in sentence.text:
            continue
        key = _normalise_question(sentence.text)
        if len(key.split()) < 3 or key in seen:
            continue
        seen.add(key)
        out.append(sentence)
    return out


class _Found:
    __slots__ = ("anchor", "sentences")

    def __init__(self, anchor: tuple[int, int], sentences: list[Sentence]) -> None:
        self.anchor = anchor
        self.sentences = sentences


class RequiredSectionsCheck(Check[RequiredSectionsConfig]):
    name = "required_sections"
    Config = RequiredSectionsConfig
    description = "Has every section the answer template requires (e.g. questions for the care team, why this matters)."

    @cached_property
    def _compiled(self) -> list[tuple[SectionSpec, list[re.Pattern[str]], list[re.Pattern[str]]]]:
        return [
            (spec, compile_patterns(spec.heading_patterns), compile_patterns(spec.lead_in_patterns))
            for spec in self.config.sections
        ]

    def _candidates(
        self, case: Case, headings: list[re.Pattern[str]], lead_ins: list[re.Pattern[str]]
    ) -> list[_Found]:
        seg = case.segmented
        blocks: tuple[Block, ...] = seg.blocks
        by_block: dict[int, list[Sentence]] = {}
        for sentence in seg.sentences:
            by_block.setdefault(sentence.block, []).append(sentence)

        def content_after(index: int) -> list[Sentence]:
            out: list[Sentence] = []
            for j in range(index + 1, len(blocks)):
                if blocks[j].kind == "heading":
                    break
                out.extend(by_block.get(j, []))
            return out

        found: list[_Found] = []
        for index, block in enumerate(blocks):
            if block.kind == "heading":
                if any(p.search(heading_text(block)) for p in headings):
                    found.append(_Found((block.start, block.end), content_after(index)))
                continue
            sentences = by_block.get(index, [])
            inline = _INLINE_LEAD.match(block.text)
            if inline and any(p.search(inline.group("head")) for p in headings):
                # "**Why this matters:** the rest of the paragraph ..." counts as heading + content
                head_end = block.start + inline.end() - 1
                rest = [s for s in sentences if s.end > head_end]
                found.append(_Found((block.start, head_end), rest + content_after(index)))
                continue
            for position, sentence in enumerate(sentences):
                if any(p.search(sentence.text) for p in lead_ins):
                    following = sentences[position + 1 :]
                    # a lead-in introduces the list items that follow it, up to the next paragraph
                    for j in range(index + 1, len(blocks)):
                        if blocks[j].kind != "list_item":
                            break
                        following = following + by_block.get(j, [])
                    # the lead-in sentence may itself end in questions ("...ask: Is it...?")
                    if "?" in sentence.text:
                        following = [sentence, *following]
                    found.append(_Found((sentence.start, sentence.end), following))
                    break
        return found

    def evaluate(self, case: Case) -> CheckResult:
        satisfied = 0
        reasons: list[str] = []
        evidence: list[EvidenceSpan] = []
        failures = 0
        for spec, headings, lead_ins in self._compiled:
            candidates = self._candidates(case, headings, lead_ins)
            best: tuple[int, _Found] | None = None
            for candidate in candidates:
                count = len(_questions(candidate.sentences)) if spec.min_questions else len(candidate.sentences)
                if best is None or count > best[0]:
                    best = (count, candidate)
            needed = spec.min_questions or spec.min_sentences
            if best is None:
                failures += 1
                reasons.append(f"Missing section: {spec.label}.")
                continue
            count, candidate = best
            if count < needed:
                failures += 1
                what = "distinct questions" if spec.min_questions else "sentences"
                reasons.append(f"Section '{spec.label}' has {count} {what}; at least {needed} required.")
                evidence.append(span(case, *candidate.anchor, "offending", f"{spec.label}: too short"))
                continue
            satisfied += 1
            unit = "questions" if spec.min_questions else "sentences"
            reasons.append(f"Section '{spec.label}' found with {count} {unit}.")
            evidence.append(span(case, *candidate.anchor, "found", spec.label))
        score = satisfied / len(self.config.sections)
        if failures:
            return self.failed(score=score, reasons=reasons, evidence=evidence)
        return self.passed(score=score, reasons=reasons, evidence=evidence)
