"""``grounding``: every specific medical claim in the answer is supported by the answer's contexts.

No entailment model ships offline, so support is decided from evidence a reviewer can check:

1. Claims: answer sentences that carry specific content (a word rare in general English such as a
   drug, procedure or disease term, a number, or a drug name). Headings, questions, sentences in the
   questions-for-the-care-team section and generic patient advice (rubric cues: "your oncologist
   will consider your overall health") are not claims.
2. Candidate evidence: the context sentence, or pair of adjacent sentences, sharing the most of the
   claim's vocabulary, weighted by how specialised each word is (stems, spelling variants and
   rubric synonyms meet; drug brand and generic names meet through the drug dictionary).
3. Support needs all of: enough weighted overlap with the best two candidates; every critical term
   (drug names, unknown words such as an invented drug, terms rarer than ``critical_zipf``)
   present in the contexts; every number and stage matching one in the candidate evidence (same
   value, compatible unit); no polarity conflict with the best candidate (one negated, the other
   not) and no rubric antonym swapped in ("increases" where the context says "decreases").

Score = supported claims / claims. Unscored when the answer has no contexts.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from pydantic import Field

from navis_eval.checks.base import Case, Check, CheckConfig, Patterns, compile_patterns, span
from navis_eval.checks.lexical import (
    Quantity,
    any_of,
    drugs,
    is_content,
    quantities,
    quantity_supported,
    tokens,
    zipf,
)
from navis_eval.checks.text import Segmented, heading_text, segment
from navis_eval.models import CheckResult, EvidenceSpan, SupportRef

_CLAUSE_BOUNDARY = re.compile(r"[,;:.!?()]|\b(?:but|and|or|so|which|that|when|if|unless|because)\b", re.IGNORECASE)
_NUMERIC = re.compile(r"\d+(?:[.,]\d+)*")


class GroundingConfig(CheckConfig):
    # sentences that are generic advice or talk about the answer itself: no support needed
    generic_cues: Patterns = []
    # sentences that are claims whatever their vocabulary (cure, survival and outcome statements)
    claim_cues: Patterns = []
    # terms whose polarity alone decides a conflict: the claim affirms one that every context
    # sentence using it negates ("is highly curable" where the contexts say "rarely curable")
    polarity_key_terms: list[str] = []
    # sections whose sentences are not claims (e.g. questions to ask the care team)
    skip_section_headings: Patterns = []
    # words that never make a sentence a specific claim on their own (doctor, oncologist, team...)
    generic_terms: list[str] = []
    spelling: dict[str, str] = {}
    synonyms: list[list[str]] = []
    negation_cues: Patterns = []
    antonyms: list[list[str]] = []
    specific_zipf: float = Field(default=4.0, description="a sentence is a claim if it has a word rarer than this in English")
    critical_zipf: float = Field(default=3.0, description="words rarer than this must appear in the contexts")
    min_coverage: float = Field(default=0.6, ge=0, le=1)
    weight_power: float = Field(default=1.5, gt=0)
    max_unsupported: int = Field(default=0, ge=0)
    min_claim_words: int = Field(default=3, ge=1)
    # a contradiction needs this many shared terms inside one side's negation scope
    polarity_min_shared: int = Field(default=2, ge=1)
    polarity_min_overlap: float = Field(default=0.4, ge=0, le=1)


@dataclass
class _Sent:
    context_index: int
    start: int
    end: int
    text: str
    terms: frozenset[str]
    quantities: list[Quantity]
    negated: frozenset[str]  # terms in a negation's scope
    has_negation: bool = False


@dataclass
class ContextIndex:
    """The contexts of one case, prepared once for all its claims."""

    sentences: list[_Sent]
    all_terms: frozenset[str]
    by_context: list[list[int]] = field(default_factory=list)
    postings: dict[str, list[int]] = field(default_factory=dict)  # term -> sentences that use it
    next_in_context: dict[int, int] = field(default_factory=dict)  # sentence -> following sentence


@dataclass
class ClaimVerdict:
    supported: bool
    coverage: float
    support: SupportRef | None
    problems: list[str]


class _Lexicon:
    """Compiled rubric vocabulary; built once per check instance (read-only afterwards)."""

    def __init__(self, config: GroundingConfig) -> None:
        from navis_eval.checks.lexical import stem

        self.config = config
        self.spelling = {k.lower(): v.lower() for k, v in config.spelling.items()}
        self.generic = frozenset(stem(w) for w in config.generic_terms) | frozenset(w.lower() for w in config.generic_terms)
        self.synonym: dict[str, str] = {}
        for group in config.synonyms:
            stems = [" ".join(stem(w) for w in phrase.lower().split()) for phrase in group]
            for s in stems:
                self.synonym[s] = stems[0]
        self.multiword_synonyms = sorted({s for s in self.synonym if " " in s}, key=len, reverse=True)
        negation = any_of(compile_patterns(config.negation_cues))
        self.negation = [negation] if negation else []
        self.antonyms: list[tuple[str, str]] = []
        for pair in config.antonyms:
            if len(pair) == 2:
                self.antonyms.append((stem(pair[0]), stem(pair[1])))
        generic = any_of(compile_patterns(config.generic_cues))
        self.generic_cues = [generic] if generic else []
        self.claim_cues = compile_patterns(config.claim_cues)
        claim_any = any_of(self.claim_cues)
        self.claim_any = [claim_any] if claim_any else []
        # analysing a sentence is pure; contexts repeat across answers, so remember recent ones
        # (bounded: a corpus of ~650 passages has ~4,000 sentences; memory must stay flat)
        self.terms = lru_cache(maxsize=8192)(self._terms)  # type: ignore[method-assign]
        self.key_terms = frozenset(
            ("syn:" + self.synonym[stem(w)]) if stem(w) in self.synonym else stem(w) for w in config.polarity_key_terms
        )
        self.skip_headings = compile_patterns(config.skip_section_headings)

    def weight(self, word: str, z: float | None = None) -> float:
        if word.startswith("drug:"):
            return 6.0**self.config.weight_power
        if z is None:
            z = zipf(word)
        return max(0.15, 6.5 - min(z, 6.35)) ** self.config.weight_power

    def _terms(self, text: str) -> tuple[dict[str, tuple[float, bool, str]], list[Quantity], frozenset[str]]:
        """term -> (weight, critical, surface) for a text, its numbers, and the terms in negation scope."""
        toks = tokens(text, self.spelling, fold=True)
        out: dict[str, tuple[float, bool, str]] = {}
        drug_spans = drugs(text, toks)
        covered: set[int] = set()
        positions: list[tuple[int, int, str]] = []  # (start, end, key) of every counted token
        for mention in drug_spans:
            key = "drug:" + mention.canonical.split("|", 1)[0]
            rare = zipf(mention.surface.lower()) < 4.0
            out[key] = (self.weight(key), rare, mention.surface)
            covered.update(range(mention.start, mention.end))
            positions.append((mention.start, mention.end, key))
        stems = [t.stem for t in toks]
        joined = " " + " ".join(stems) + " "
        for phrase in self.multiword_synonyms:
            if " " + phrase + " " in joined:
                canon = "syn:" + self.synonym[phrase]
                out[canon] = (self.weight(phrase.split()[0]), False, phrase)
        for tok in toks:
            if tok.start in covered or not is_content(tok.text):
                continue
            if _NUMERIC.fullmatch(tok.text):
                continue
            key = "syn:" + self.synonym[tok.stem] if tok.stem in self.synonym else tok.stem
            surface = text[tok.start : tok.end]
            z = max(zipf(tok.text), zipf(surface.lower()))
            generic = tok.stem in self.generic or tok.text in self.generic
            unknown = z == 0 and tok.text.isalpha() and len(tok.text) >= 4
            has_digit = any(ch.isdigit() for ch in tok.text) and any(ch.isalpha() for ch in tok.text)
            critical = not generic and (z < self.config.critical_zipf or unknown or has_digit)
            w = self.weight(tok.text, z) * (0.3 if generic else 1.0)
            positions.append((tok.start, tok.end, key))
            if key not in out or out[key][0] < w:
                out[key] = (w, critical, surface)
        return out, quantities(text), self._negated_terms(text, positions)

    def _negated_terms(self, text: str, positions: list[tuple[int, int, str]]) -> frozenset[str]:
        """Terms within a negation's scope, ConText-style: up to four content words after the cue and
        three before it ("X is not curable" negates X too), never across a clause boundary."""
        if not self.negation:
            return frozenset()
        cues = [m for pattern in self.negation for m in pattern.finditer(text)]
        if not cues:
            return frozenset()
        positions = sorted(positions)
        bounds = [m.start() for m in _CLAUSE_BOUNDARY.finditer(text)]

        def crosses(a: int, b: int) -> bool:
            i = bisect_left(bounds, a)
            return i < len(bounds) and bounds[i] < b

        scoped: set[str] = set()
        for match in cues:
            after = [p for p in positions if p[0] >= match.end()]
            for taken, (start, _end, key) in enumerate(after):
                if taken >= 4 or crosses(match.end(), start):
                    break
                scoped.add(key)
            before = [p for p in positions if p[1] <= match.start()][::-1]
            for taken, (_start, end, key) in enumerate(before):
                if taken >= 3 or crosses(end, match.start()):
                    break
                scoped.add(key)
        return frozenset(scoped)

    def context_terms(self, text: str) -> frozenset[str]:
        terms, _, _ = self.terms(text)
        return frozenset(terms)

    def negated(self, text: str) -> bool:
        return any(p.search(text) for p in self.negation)

    def is_claim(self, text: str, terms: dict[str, tuple[float, bool, str]], nums: Sequence[Quantity]) -> bool:
        words = [w for w in re.findall(r"[A-Za-z]+", text)]
        if len(words) < self.config.min_claim_words:
            return False
        if any(p.search(text) for p in self.generic_cues):
            return False
        if nums or any(p.search(text) for p in self.claim_any):
            return True
        for key, (_, critical, surface) in terms.items():
            if key.startswith("drug:") or critical:
                return True
            if key in self.generic or surface in self.generic:
                continue
            if zipf(surface) < self.config.specific_zipf and not surface.isdigit():
                return True
        return False


def build_index(lex: _Lexicon, contexts: Sequence[str], segments: Sequence[Segmented] | None = None) -> ContextIndex:
    sentences: list[_Sent] = []
    by_context: list[list[int]] = []
    all_terms: set[str] = set()
    postings: dict[str, list[int]] = {}
    next_in_context: dict[int, int] = {}
    for ci, context in enumerate(contexts):
        seg = segments[ci] if segments is not None else segment(context)
        ids: list[int] = []
        for s in seg.sentences:
            terms, nums, negated = lex.terms(s.text)
            keys = frozenset(terms)
            all_terms |= keys
            if ids:
                next_in_context[ids[-1]] = len(sentences)
            for key in keys:
                postings.setdefault(key, []).append(len(sentences))
            ids.append(len(sentences))
            sentences.append(_Sent(ci, s.start, s.end, s.text, keys, nums, negated, lex.negated(s.text)))
        by_context.append(ids)
    return ContextIndex(sentences, frozenset(all_terms), by_context, postings, next_in_context)


@dataclass(frozen=True)
class Claim:
    """One answer sentence to check, with its vocabulary computed once."""

    text: str
    terms: dict[str, tuple[float, bool, str]]
    quantities: list[Quantity]
    negated: frozenset[str]
    has_negation: bool
    start: int = 0
    end: int = 0
    cue_terms: frozenset[str] = frozenset()  # words of a claim cue ("guaranteed", "cured"): must be in the contexts


def make_claim(lex: _Lexicon, text: str, start: int = 0, end: int = 0) -> Claim:
    terms, nums, negated = lex.terms(text)
    cue_terms: set[str] = set()
    if lex.claim_any and lex.claim_any[0].search(text):
        for pattern in lex.claim_cues:
            for match in pattern.finditer(text):
                cue_terms |= set(lex.terms(match.group(0))[0])
    cue_terms = {k for k in cue_terms if k in terms and k not in lex.generic and k not in negated}
    return Claim(text, terms, nums, negated, lex.negated(text), start, end or len(text), frozenset(cue_terms))


def _present(key: str, pool: frozenset[str]) -> bool:
    if key in pool:
        return True
    # "V600" is present in "V600E"; "PD-L1" style codes keep their prefix
    if len(key) >= 4 and any(ch.isdigit() for ch in key):
        return any(other.startswith(key) for other in pool)
    return False


def _conflict(
    claim: Claim, window_terms: frozenset[str], window_negated: frozenset[str], window_has_negation: bool, min_shared: int
) -> bool:
    """One side negates and the other does not, and the negation's scope covers what both talk about."""
    if claim.has_negation == window_has_negation:
        return False
    shared = (claim.negated & window_terms) if claim.has_negation else (window_negated & frozenset(claim.terms))
    # a drug named inside the negation's scope is what the statement is about: it counts twice
    return len(shared) + sum(1 for k in shared if k.startswith("drug:")) >= min_shared


def _key_term_conflict(lex: _Lexicon, claim: Claim, index: ContextIndex) -> str | None:
    """The claim affirms a key term (cure, approved...) that every context sentence using it negates."""
    for key in lex.key_terms:
        if key not in claim.terms or key in claim.negated:
            continue
        uses = [s for s in index.sentences if key in s.terms]
        if uses and all(key in s.negated for s in uses):
            return claim.terms[key][2]
    return None


def judge_claim(
    lex: _Lexicon,
    claim: Claim | str,
    index: ContextIndex,
    known: frozenset[str] = frozenset(),
    known_quantities: Sequence[Quantity] = (),
) -> ClaimVerdict:
    """Is one claim supported by the indexed contexts? Pure; used by the check and by K-QA validation.

    ``known`` holds terms the patient used in the question: naming them again is not an invented term.
    """
    if isinstance(claim, str):
        claim = make_claim(lex, claim)
    terms = claim.terms
    total = sum(w for w, _, _ in terms.values()) or 1.0
    if not index.sentences:
        return ClaimVerdict(False, 0.0, None, ["no context sentences"])
    # score single sentences through the postings (only sentences sharing a term), then adjacent
    # pairs around the sentences that share anything
    single: dict[int, float] = {}
    for k, (w, _, _) in terms.items():
        for sid in index.postings.get(k, ()):
            single[sid] = single.get(sid, 0.0) + w
    scored: list[tuple[float, int, int]] = [(v / total, sid, sid) for sid, v in single.items()]
    starts = set(single) | {sid - 1 for sid in single if sid - 1 in index.next_in_context}
    for sid in starts:
        nxt = index.next_in_context.get(sid)
        if nxt is None:
            continue
        pair = index.sentences[sid].terms | index.sentences[nxt].terms
        cov2 = sum(w for k, (w, _, _) in terms.items() if k in pair) / total
        if cov2 > max(single.get(sid, 0.0), single.get(nxt, 0.0)) / total + 1e-9:
            scored.append((cov2, sid, nxt))
    if not scored:
        scored = [(0.0, 0, 0)]
    scored.sort(key=lambda x: (-x[0], x[2] - x[1], x[1]))
    best = scored[0]

    def window(a: int, b: int) -> tuple[frozenset[str], frozenset[str], bool, str]:
        t: set[str] = set()
        n: set[str] = set()
        has = False
        for sid in range(a, b + 1):
            t |= index.sentences[sid].terms
            n |= index.sentences[sid].negated
            has = has or index.sentences[sid].has_negation
        return frozenset(t), frozenset(n), has, " ".join(index.sentences[sid].text for sid in range(a, b + 1))

    best_terms, best_neg, best_has_neg, best_text = window(best[1], best[2])
    # a second, different window may complete a claim that draws on two places
    union = set(best_terms) | known  # the patient's own words need no support
    for _cov, a, b in scored[1:6]:
        if b < best[1] or a > best[2]:
            union |= window(a, b)[0]
            break
    coverage = sum(w for k, (w, _, _) in terms.items() if k in union) / total
    problems: list[str] = []
    missing_critical = [
        surface
        for k, (_, critical, surface) in terms.items()
        if (critical or k in claim.cue_terms) and k not in known and not _present(k, index.all_terms)
    ]
    if missing_critical:
        problems.append("not in the contexts: " + ", ".join(dict.fromkeys(missing_critical)))
    if coverage < lex.config.min_coverage:
        problems.append(f"little of the claim is in the contexts ({coverage:.0%} weighted overlap)")
    if claim.quantities:
        floor = max(0.2, 0.5 * best[0])
        pool: list[Quantity] = list(known_quantities)
        for cov, a, b in scored:
            if cov < floor:
                break
            for sid in range(a, b + 1):
                pool.extend(index.sentences[sid].quantities)
        bad = [claim.text[q.start : q.end] for q in claim.quantities if not quantity_supported(q, pool)]
        if bad:
            problems.append("numbers not in the supporting context: " + ", ".join(dict.fromkeys(bad)))
    if best[0] >= lex.config.polarity_min_overlap and _conflict(
        claim, best_terms, best_neg, best_has_neg, lex.config.polarity_min_shared
    ):
        agree = False
        for cov, a, b in scored[1:8]:
            if cov < 0.8 * best[0]:
                break
            t, n, h, _ = window(a, b)
            if not _conflict(claim, t, n, h, lex.config.polarity_min_shared):
                agree = True
                break
        if not agree:
            problems.append("polarity differs from the context (one negates what the other states)")
    key = _key_term_conflict(lex, claim, index) if lex.key_terms else None
    if key:
        problems.append(f"affirms \u201c{key}\u201d where the contexts negate it")
    if best[0] >= 0.4 and lex.antonyms:
        for a_stem, b_stem in lex.antonyms:
            for x, y in ((a_stem, b_stem), (b_stem, a_stem)):
                if x in terms and y not in terms and y in best_terms and x not in best_terms:
                    problems.append(f"says \u201c{terms[x][2]}\u201d where the context says the opposite")
    first = index.sentences[best[1]]
    last = index.sentences[best[2]]
    support = SupportRef(context_index=first.context_index, start=first.start, end=last.end, text=best_text)
    return ClaimVerdict(not problems, coverage, support, problems)


class GroundingCheck(Check[GroundingConfig]):
    name = "grounding"
    Config = GroundingConfig
    description = "Every specific medical claim is supported by the answer's contexts."

    def __init__(self, config: GroundingConfig) -> None:
        super().__init__(config)
        from navis_eval.checks.lexical import prefetch

        prefetch()  # word frequencies and drug names load while the rest starts up

    @cached_property
    def lexicon(self) -> _Lexicon:
        return _Lexicon(self.config)

    def _skipped_blocks(self, case: Case) -> set[int]:
        skipped: set[int] = set()
        skipping = False
        for index, block in enumerate(case.segmented.blocks):
            if block.kind == "heading":
                skipping = any(p.search(heading_text(block)) for p in self.lexicon.skip_headings)
                continue
            if skipping:
                skipped.add(index)
        return skipped

    def claims(self, case: Case) -> list[Claim]:
        lex = self.lexicon
        skipped = self._skipped_blocks(case)
        out = []
        for sentence in case.segmented.sentences:
            if sentence.block_kind == "heading" or sentence.block in skipped:
                continue
            text = sentence.text.strip()
            if text.rstrip("\"'”’)*_ ").endswith("?"):
                continue
            claim = make_claim(lex, sentence.text, sentence.start, sentence.end)
            if lex.is_claim(text, claim.terms, claim.quantities):
                out.append(claim)
        return out

    def evaluate(self, case: Case) -> CheckResult:
        if not case.contexts:
            return self.unscored("No contexts: nothing to check the claims against.")
        lex = self.lexicon
        index = build_index(lex, case.contexts, case.context_segments)
        claims = self.claims(case)
        if not claims:
            return self.passed(reasons=["The answer makes no specific medical claims."])
        evidence: list[EvidenceSpan] = []
        unsupported: list[str] = []
        supported = 0
        question = make_claim(lex, case.question)
        known = frozenset(question.terms)
        for claim in claims:
            start, end, text = claim.start, claim.end, claim.text
            verdict = judge_claim(lex, claim, index, known, question.quantities)
            if verdict.supported:
                supported += 1
                ev = span(case, start, end, "supporting", f"supported ({verdict.coverage:.0%} overlap)")
                ev.support = verdict.support
                evidence.append(ev)
            else:
                note = "; ".join(verdict.problems)
                ev = span(case, start, end, "offending", note)
                ev.support = verdict.support
                evidence.append(ev)
                unsupported.append(f"Unsupported claim \u201c{text.strip()[:120]}\u201d: {note}.")
        score = supported / len(claims)
        summary = f"{supported} of {len(claims)} specific claims supported by the contexts."
        if len(unsupported) > self.config.max_unsupported:
            return self.failed(score=score, reasons=[summary, *unsupported], evidence=evidence)
        return self.passed(score=score, reasons=[summary, *unsupported], evidence=evidence)
