"""BM25 retrieval over the reference corpus (bm25s with Snowball stemming).

Used by the reference engine and by the harness-grounded mode of the openai engine. Besides the
ranking, it reports which of the question's content words the retrieved passages cover, so an
engine can say honestly when its sources do not address part of a question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from navis_eval.models import CorpusPassage

_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")

# Words that carry no topic in a patient's question to an oncology assistant.
GENERIC_WORDS = frozenset(
    """
    a about above after again against all also am an and any are aren as at be because been before being
    below between both but by can cannot could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just let me
    more most my myself no nor not now of off on once only or other our ours out over own same she should
    so some such than that the their theirs them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your yours
    yourself im ive dont doesnt cant wont isnt whats hes shes theyre youre thats mom mum dad wife husband
    son daughter brother sister friend mother father told said know want wants need needs think really
    please help thanks thank anyone someone something anything get got going go getting like still even
    much many lot lots ok okay hi hello worried scared afraid question questions tell explain mean means
    cancer cancers tumor tumour tumors doctor doctors oncologist oncologists team care treatment treatments
    treat treated option options diagnosed diagnosis patient patients year years month months week weeks
    day days time now next new just being been started start
    """.split()
)


def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _shared_stemmer():  # type: ignore[no-untyped-def]
    return _stemmer()


def tokens(text: str) -> list[str]:
    """Lower-cased, stemmed content tokens (generic words removed)."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in GENERIC_WORDS and len(w) > 1]
    return list(_shared_stemmer().stemWords(words))


@dataclass(frozen=True)
class Hit:
    passage: CorpusPassage
    score: float
    coverage: float  # share of the query's content tokens found in this passage


@dataclass(frozen=True)
class Retrieval:
    hits: list[Hit]
    query_tokens: list[str]
    uncovered: list[str]  # query words found in none of the hits (original spelling)


class Retriever:
    """An in-memory BM25 index over corpus passages (title + text)."""

    def __init__(self, passages: list[CorpusPassage]) -> None:
        import bm25s

        self._passages = passages
        self._tokens = [set(tokens(f"{p.title} {p.text}")) for p in passages]
        self._df: dict[str, int] = {}
        for doc_tokens in self._tokens:
            for token in doc_tokens:
                self._df[token] = self._df.get(token, 0) + 1
        self._index = bm25s.BM25()
        corpus_tokens = [sorted(t) or ["_"] for t in self._tokens]
        self._index.index(corpus_tokens, show_progress=False)

    def document_share(self, word: str) -> float:
        """Share of passages that contain a word (after stemming); 0 for words the corpus lacks."""
        if not self._passages:
            return 0.0
        return self._df.get(_shared_stemmer().stemWord(word.lower()), 0) / len(self._passages)

    def search(self, query: str, k: int = 4) -> Retrieval:
        query_tokens = tokens(query)
        if not query_tokens or not self._passages:
            return Retrieval([], query_tokens, [])
        known = [t for t in query_tokens if t in self._index.vocab_dict] or query_tokens[:1]
        k = min(k, len(self._passages))
        ids, scores = self._index.retrieve([known], k=k, show_progress=False, n_threads=1)
        hits = []
        unique = set(query_tokens)
        covered: set[str] = set()
        for doc, score in zip(ids[0].tolist(), scores[0].tolist(), strict=True):
            if score <= 0:
                continue
            coverage = len(unique & self._tokens[doc]) / len(unique)
            hits.append(Hit(self._passages[doc], float(score), coverage))
            covered |= self._tokens[doc]
        uncovered_words = []
        for word in _TOKEN.findall(query.lower()):
            if word in GENERIC_WORDS or len(word) < 3 or "'" in word or word.isdigit():
                continue
            stem = _shared_stemmer().stemWord(word)
            if stem not in covered and word not in uncovered_words:
                uncovered_words.append(word)
        return Retrieval(hits, query_tokens, uncovered_words)
