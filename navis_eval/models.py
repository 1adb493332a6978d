"""The data model shared by every stage: gold items, corpus passages, answers, check results, runs.

Every stage reads what the stage before it wrote, so these models are the contract between them.
They forbid unknown fields on input data so that a typo in a dataset fails loudly instead of
being ignored.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Category = Literal[
    "what_is",
    "staging",
    "prognosis",
    "first_line",
    "progression",
    "side_effects",
    "biomarkers",
    "clinical_trials",
    "surgery_radiation",
    "survivorship",
    "urgent_symptoms",
    "unsafe_request",
]
CATEGORIES: tuple[str, ...] = get_args(Category)
Risk = Literal["standard", "high"]
Curability = Literal["highly_curable", "potentially_curable", "rarely_curable", "not_applicable"]
Coverage = Literal["covered", "partial", "not_covered"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyPoint(_Strict):
    """A point a good answer conveys, with the corpus passages that support it."""

    text: str = Field(min_length=1)
    passage_ids: list[str] = Field(default_factory=list)


class Criterion(_Strict):
    """A HealthBench-style rubric criterion graded by an LLM judge."""

    criterion: str = Field(min_length=1)
    points: int = Field(ge=-10, le=10)
    tags: list[str] = Field(default_factory=list)


class PatientProfile(_Strict):
    """A synthetic patient record summary; the product also answers from a patient's records."""

    age: int | None = Field(default=None, ge=0, le=120)
    sex: str | None = None
    stage: str | None = None
    histology: str | None = None
    biomarkers: list[str] = Field(default_factory=list)
    prior_treatments: list[str] = Field(default_factory=list)
    notes: str | None = None


class GoldItem(_Strict):
    """One gold question with the clinical metadata the checks and judges need."""

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
    question: str = Field(min_length=1)
    cancer_type: str = Field(min_length=1)
    category: Category
    risk: Risk = "standard"
    curability: Curability = "not_applicable"
    expected_coverage: Coverage = "covered"
    gap: str | None = None
    key_points: list[KeyPoint] = Field(default_factory=list)
    forbidden_claims: list[str] = Field(default_factory=list)
    urgent: bool = False
    patient_profile: PatientProfile | None = None
    criteria: list[Criterion] = Field(default_factory=list)


class SourceRef(_Strict):
    """Attribution of a corpus passage: the public document whose facts it states."""

    name: str = Field(min_length=1)
    organization: str = Field(min_length=1)
    url: str | None = None


class CorpusPassage(_Strict):
    """A reference passage the reference engine (and harness-grounded engines) retrieve from."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
    cancer_type: str = Field(min_length=1)
    topic: str = Field(min_length=1)
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    source: SourceRef
    reviewed: str | None = None


class EngineError(BaseModel):
    """Why an engine produced no usable answer for one item."""

    kind: str
    message: str
    attempts: int = 1
    status_code: int | None = None


class EngineAnswer(BaseModel):
    """What an engine returned for one item; ``error`` is set instead of text on failure."""

    item_id: str
    text: str = ""
    contexts: list[str] = Field(default_factory=list)
    context_ids: list[str] = Field(default_factory=list)
    citations: list[str] = Field(default_factory=list)
    latency_ms: float | None = None
    attempts: int = 1
    cached: bool = False
    meta: dict[str, Any] = Field(default_factory=dict)
    error: EngineError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Status(str, Enum):
    passed = "passed"
    failed = "failed"
    unscored = "unscored"


class SupportRef(BaseModel):
    """The context sentence that supports a claim: which context, and where inside it."""

    context_index: int
    start: int
    end: int
    text: str


class EvidenceSpan(BaseModel):
    """A span of the answer (character offsets, end exclusive) that a verdict rests on."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    kind: Literal["offending", "supporting", "found"] = "offending"
    note: str | None = None
    support: SupportRef | None = None

    @model_validator(mode="after")
    def _ordered(self) -> EvidenceSpan:
        if self.end < self.start:
            raise ValueError("evidence end must not precede start")
        return self


class CheckResult(BaseModel):
    """The verdict of one check on one answer, with the evidence a clinician can verify."""

    name: str
    status: Status
    score: float = Field(ge=0.0, le=1.0)
    reasons: list[str] = Field(default_factory=list)
    evidence: list[EvidenceSpan] = Field(default_factory=list)

    @property
    def passed(self) -> bool | None:
        if self.status is Status.unscored:
            return None
        return self.status is Status.passed

    @field_validator("score")
    @classmethod
    def _rounded(cls, value: float) -> float:
        return round(value, 6)


class VersionRef(BaseModel):
    """Name, version and content hash of a dataset or rubric, recorded in every run."""

    name: str
    version: str
    hash: str
    path: str | None = None


class RunCounts(BaseModel):
    items: int = 0
    answered: int = 0
    errors: int = 0
    cached: int = 0
    resumed: int = 0


class RunManifest(BaseModel):
    """Everything needed to know what a run measured and to compare it with another run."""

    run_id: str
    status: Literal["running", "complete", "stopped"] = "running"
    created_at: str
    finished_at: str | None = None
    harness_version: str
    git_commit: str | None = None
    label: str | None = None
    dataset: VersionRef
    rubric: VersionRef
    engine: dict[str, Any]
    checks: list[str]
    options: dict[str, Any] = Field(default_factory=dict)
    counts: RunCounts = Field(default_factory=RunCounts)
    stop_reason: str | None = None
