"""The built-in reference engine: offline, deterministic, grounded in the bundled corpus.

It retrieves passages with BM25, quotes the sentences that best match the question, adds
questions for the care team chosen by the question's category and a "why this matters" note, and
closes with a disclaimer. When retrieval finds nothing relevant, or leaves words of the question
uncovered, it says so instead of improvising. It is a baseline to measure real engines against
and the engine `make eval` runs without any network or key.
"""

from __future__ import annotations

import re
import time
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from navis_eval.checks.text import segment
from navis_eval.engines.base import AnswerEngine, EngineConfig
from navis_eval.errors import InputError
from navis_eval.jsonl import load_yaml
from navis_eval.models import EngineAnswer, GoldItem
from navis_eval.paths import resolve_relative
from navis_eval.retrieval import Retrieval, Retriever, tokens

_TEMPLATE = Path(__file__).with_name("reference_template.yaml")


class ReferenceTemplate(BaseModel):
    title: str
    header: str
    sources_heading: str
    gap_heading: str
    no_coverage: str
    partial_coverage: str
    urgent_notice: str
    urgent_terms: list[str]
    unsafe_notice: str
    questions_heading: str
    why_heading: str
    disclaimer: str
    questions: dict[str, list[str]]
    why: dict[str, str]
    medical_word_pattern: str


class ReferenceConfig(EngineConfig):
    kind: str = "reference"
    top_k: int = Field(default=6, ge=1, le=50)
    max_passages: int = Field(default=3, ge=1, le=10)
    sentences_per_passage: int = Field(default=2, ge=1, le=10)
    min_passage_coverage: float = Field(default=0.25, ge=0.0, le=1.0)
    questions_per_answer: int = Field(default=4, ge=1, le=10)
    template: str | None = None
    cache: bool = False  # deterministic and fast: caching buys nothing

    def resolve_paths(self, base: Path) -> None:
        if self.template:
            self.template = str(resolve_relative(self.template, base))


def _sentences(text: str) -> list[str]:
    return [s.text.strip() for s in segment(text).sentences if s.block_kind != "heading"]


class ReferenceEngine(AnswerEngine):
    kind = "reference"
    Config = ReferenceConfig
    config: ReferenceConfig

    @cached_property
    def _template(self) -> ReferenceTemplate:
        path = Path(self.config.template) if self.config.template else _TEMPLATE
        data = load_yaml(path)
        try:
            return ReferenceTemplate.model_validate(data)
        except Exception as exc:  # pydantic error, reported with the template path
            raise InputError(f"invalid reference template: {exc}", path=path) from None

    @cached_property
    def _retriever(self) -> Retriever:
        dataset = self.context.dataset
        if dataset is None or not dataset.corpus:
            raise InputError("the reference engine needs a dataset with a corpus", field="corpus")
        return Retriever(dataset.corpus)

    def request_key(self, item: GoldItem) -> dict[str, Any]:
        return {**super().request_key(item), "category": item.category}

    def check_ready(self) -> None:
        self._template
        self._retriever

    async def answer(self, item: GoldItem) -> EngineAnswer:
        started = time.perf_counter()
        retrieval = self._retriever.search(item.question, k=self.config.top_k)
        text, used = self._compose(item, retrieval)
        return EngineAnswer(
            item_id=item.id,
            text=text,
            contexts=[hit.passage.text for hit in used],
            context_ids=[hit.passage.id for hit in used],
            citations=sorted({f"{hit.passage.source.name} ({hit.passage.source.organization})" for hit in used}),
            latency_ms=(time.perf_counter() - started) * 1000,
            meta={"engine": "reference", "best_coverage": round(max((h.coverage for h in used), default=0.0), 3)},
        )

    def _best_sentences(self, passage_text: str, query: set[str]) -> list[str]:
        sentences = _sentences(passage_text)
        scored = [(len(query & set(tokens(s))), -i, s) for i, s in enumerate(sentences)]
        top = sorted(scored, reverse=True)[: self.config.sentences_per_passage]
        keep = {s for score, _, s in top if score > 0}
        if not keep and sentences:
            keep = {sentences[0]}  # nothing overlaps: the passage's opening sentence
        return [s for s in sentences if s in keep]

    def _topical(self, words: list[str]) -> list[str]:
        """Uncovered words worth naming: medical-looking words that the whole corpus lacks.

        Lexical overlap cannot tell a colloquial word from an unanswered topic, so the engine
        names a gap only where it is sure: a drug, procedure or remedy its corpus never mentions.
        """
        pattern = re.compile(self._template.medical_word_pattern, re.IGNORECASE)
        return [w for w in words if self._retriever.document_share(w) == 0 and pattern.search(w)]

    def _is_urgent(self, question: str) -> bool:
        lowered = question.lower()
        return any(re.search(rf"\b{re.escape(term)}", lowered) for term in self._template.urgent_terms)

    def _compose(self, item: GoldItem, retrieval: Retrieval) -> tuple[str, list[Any]]:
        t = self._template
        cfg = self.config
        used = [h for h in retrieval.hits if h.coverage >= cfg.min_passage_coverage][: cfg.max_passages]
        query = set(retrieval.query_tokens)
        parts: list[str] = [t.title, t.header]
        if self._is_urgent(item.question):
            parts.append(t.urgent_notice)
        if item.category == "unsafe_request":
            parts.append(t.unsafe_notice)
        if used:
            parts.append(t.sources_heading)
            for hit in used:
                parts.append(" ".join(self._best_sentences(hit.passage.text, query)))
            missing = self._topical(retrieval.uncovered)
            if missing:
                terms = ", ".join(f"\u201c{w}\u201d" for w in missing[:3])
                parts.extend([t.gap_heading, t.partial_coverage.format(terms=terms)])
        else:
            parts.extend([t.gap_heading, t.no_coverage])
        questions = t.questions.get(item.category) or t.questions["default"]
        parts.append(t.questions_heading)
        parts.extend(f"{n}. {q}" for n, q in enumerate(questions[: cfg.questions_per_answer], start=1))
        parts.append(t.why_heading)
        parts.append(t.why.get(item.category) or t.why["default"])
        parts.append(t.disclaimer)
        return "\n\n".join(parts) + "\n", used
