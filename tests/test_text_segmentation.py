"""Markdown-aware segmentation: blocks and sentences with exact offsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navis_eval.checks.text import heading_text, segment
from tests.checks_helpers import SEED_CURE, SEED_GAP, seed

ANSWER = """## What to expect

Dr. Smith said the dose (e.g. 75 mg/m2) is standard vs. the older regimen. It is given
every 3 weeks, approx. 4 cycles in total.

**Why this matters:** you will know what to ask.

1. First item is here. It has two sentences.
2. Second item
   wraps onto a second line.

* NCCN (National Comprehensive Cancer Network) Guidelines for mesothelioma - these are updated.

3. Questions to ask the team

- What is my stage?
"""


def test_offsets_are_exact_and_abbreviations_do_not_split() -> None:
    seg = segment(ANSWER)
    for s in seg.sentences:
        assert ANSWER[s.start : s.end] == s.text
    texts = [s.text for s in seg.sentences]
    assert "Dr. Smith said the dose (e.g. 75 mg/m2) is standard vs. the older regimen." in texts
    assert "It is given\nevery 3 weeks, approx. 4 cycles in total." in texts
    assert "Second item\n   wraps onto a second line." in texts
    assert "First item is here." in texts and "It has two sentences." in texts


def test_parenthesis_followed_by_a_capital_does_not_end_a_sentence() -> None:
    texts = [s.text for s in segment(ANSWER).sentences]
    assert "NCCN (National Comprehensive Cancer Network) Guidelines for mesothelioma - these are updated." in texts


def test_block_kinds_and_standalone_numbered_heading() -> None:
    seg = segment(ANSWER)
    kinds = [(b.kind, heading_text(b)) for b in seg.blocks if b.kind == "heading"]
    assert kinds == [("heading", "What to expect"), ("heading", "Questions to ask the team")]
    items = [b for b in seg.blocks if b.kind == "list_item"]
    assert [b.numbered for b in items[:2]] == [True, True]
    assert items[-1].bullet and items[-1].text == "- What is my stage?"


def test_consecutive_numbered_lines_stay_list_items() -> None:
    seg = segment("Steps:\n\n1. Surgery\n\n2. Chemotherapy\n")
    assert [b.kind for b in seg.blocks][1:] == ["list_item", "list_item"]


@pytest.mark.parametrize("name", [SEED_CURE, SEED_GAP])
def test_seeds_keep_their_structure(name: str) -> None:
    text = seed(name)
    seg = segment(text)
    headings = [heading_text(b) for b in seg.blocks if b.kind == "heading"]
    assert "Important Questions to Ask Your Oncology Team" in headings
    assert any(h.startswith("Why This Matters") for h in headings)
    for s in seg.sentences:
        assert text[s.start : s.end] == s.text


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([*'ab .?!\n#*-1)(:"', "Dr.", "e.g.", "**", "\n\n", "2. ", "Word"]), max_size=120).map("".join))
def test_offsets_exact_on_arbitrary_text(text: str) -> None:
    for s in segment(text).sentences:
        assert text[s.start : s.end] == s.text
        assert s.text.strip()
