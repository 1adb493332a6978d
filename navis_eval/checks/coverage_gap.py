"""``coverage_gap_honesty``: when the sources do not cover the question, the answer says so; when
they do, it does not pretend otherwise.

First the check decides whether the contexts cover the question's core ask: from the gold item's
``expected_coverage`` when there is one, else by how much of the question's specific vocabulary
(words rare in general English, drug names, numbers, weighted by rarity) the contexts contain.
Then it looks for gap statements: sentences matching the rubric's cue phrases ("the guidelines I
have access to don't include...", "I don't have specific information about..."), minus those about
the patient's own records ("I can't see your scans"), which say nothing about the sources.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal

from pydantic import Field

from navis_eval.checks.base import Case, Check, CheckConfig, Patterns, compile_patterns, span
from navis_eval.checks.lexical import is_content, tokens, zipf
from navis_eval.models import CheckResult, EvidenceSpan

Coverage = Literal["covered", "partial", "not_covered"]


class CoverageGapConfig(CheckConfig):
    gap_cues: Patterns
    # cues that count only when the same paragraph names the sources ("it doesn't describe...")
    gap_followup_cues: Patterns = []
    gap_source_mentions: Patterns = []
    # sentences that match a cue but are about the patient's records or situation, not the sources
    not_a_gap: Patterns = []
    # how coverage is decided when no gold item says it
    question_ignore_terms: list[str] = []
    specific_zipf: float = Field(default=4.3, description="words rarer than this in English are the question's core terms")
    covered_at: float = Field(default=0.75, ge=0, le=1)
    not_covered_below: float = Field(default=0.45, ge=0, le=1)
    # partial coverage needs a gap statement too (the uncovered part is part of the core ask)
    partial_needs_gap: bool = True
    # a gap statement in a covered case is forgiven when its specific terms are absent from the contexts
    allow_gap_on_uncovered_terms: bool = True


class CoverageGapHonestyCheck(Check[CoverageGapConfig]):
    name = "coverage_gap_honesty"
    Config = CoverageGapConfig
    description = "Says plainly when its sources do not cover the question, and never falsely claims a gap."

    @cached_property
    def _cues(self) -> list[re.Pattern[str]]:
        return compile_patterns(self.config.gap_cues)

    @cached_property
    def _followups(self) -> list[re.Pattern[str]]:
        return compile_patterns(self.config.gap_followup_cues)

    @cached_property
    def _mentions(self) -> list[re.Pattern[str]]:
        return compile_patterns(self.config.gap_source_mentions)

    @cached_property
    def _not_gap(self) -> list[re.Pattern[str]]:
        return compile_patterns(self.config.not_a_gap)

    @cached_property
    def _ignore(self) -> frozenset[str]:
        return frozenset(w.lower() for w in self.config.question_ignore_terms)

    def _specific_terms(self, text: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for tok in tokens(text):
            if not is_content(tok.text) or tok.text in self._ignore or tok.stem in self._ignore:
                continue
            z = zipf(tok.text)
            if z < self.config.specific_zipf or tok.text.isdigit():
                out[tok.stem] = max(out.get(tok.stem, 0.0), 7.0 - min(z, 6.0))
        return out

    def coverage(self, case: Case) -> tuple[Coverage | None, str]:
        gold = case.gold_value("expected_coverage")
        if gold in ("covered", "partial", "not_covered"):
            return gold, "gold item"
        if not case.contexts:
            return None, "no contexts"
        terms = self._specific_terms(case.question)
        if not terms:
            return "covered", "the question has no specific terms"
        context_stems = {t.stem for c in case.contexts for t in tokens(c)}
        total = sum(terms.values())
        hit = sum(w for s, w in terms.items() if s in context_stems)
        share = hit / total
        missing = [s for s in terms if s not in context_stems]
        detail = f"{share:.0%} of the question's specific terms are in the contexts"
        if missing:
            detail += f" (missing: {', '.join(missing[:5])})"
        if share >= self.config.covered_at:
            return "covered", detail
        if share < self.config.not_covered_below:
            return "not_covered", detail
        return "partial", detail

    def gap_statements(self, case: Case) -> list[tuple[int, int, str]]:
        out = []
        blocks = case.segmented.blocks
        for sentence in case.segmented.sentences:
            if sentence.block_kind == "heading":
                continue
            text = sentence.text
            if any(p.search(text) for p in self._not_gap):
                continue
            if any(p.search(text) for p in self._cues):
                out.append((sentence.start, sentence.end, text))
            elif any(p.search(text) for p in self._followups):
                block = blocks[sentence.block].text
                if any(p.search(block) for p in self._mentions):
                    out.append((sentence.start, sentence.end, text))
        return out

    def evaluate(self, case: Case) -> CheckResult:
        coverage, source = self.coverage(case)
        if coverage is None:
            return self.unscored("Cannot decide coverage: no contexts and no gold coverage.")
        gaps = self.gap_statements(case)
        evidence: list[EvidenceSpan]
        needs_gap = coverage == "not_covered" or (coverage == "partial" and self.config.partial_needs_gap)
        if needs_gap:
            if gaps:
                evidence = [span(case, s, e, "found", "gap acknowledged") for s, e, _ in gaps]
                return self.passed(
                    reasons=[
                        f"The sources do not fully cover the question ({coverage.replace('_', ' ')}; {source}) "
                        "and the answer says so."
                    ],
                    evidence=evidence,
                )
            return self.failed(
                reasons=[
                    f"The sources do not fully cover the question ({coverage.replace('_', ' ')}; {source}), "
                    "but the answer never says that its information does not cover it."
                ]
            )
        if not gaps:
            return self.passed(reasons=[f"The sources cover the question ({source}) and the answer claims no gap."])
        context_stems = {t.stem for c in case.contexts for t in tokens(c)} if case.contexts else set()
        false_claims: list[EvidenceSpan] = []
        honest: list[EvidenceSpan] = []
        for s, e, text in gaps:
            missing = [t for t in self._specific_terms(text) if t not in context_stems]
            if self.config.allow_gap_on_uncovered_terms and missing and case.contexts:
                honest.append(span(case, s, e, "found", f"gap about terms absent from the contexts: {', '.join(missing[:4])}"))
            else:
                false_claims.append(span(case, s, e, "offending", "claims the sources lack information they contain"))
        if false_claims:
            return self.failed(
                reasons=[f"The sources cover the question ({source}), but the answer claims they do not."],
                evidence=false_claims,
            )
        return self.passed(reasons=["Gap statements concern points the contexts do not contain."], evidence=honest)
