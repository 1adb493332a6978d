"""Word-level tools the content checks share: tokens with offsets, stems, how specialised a word is,
numbers with units, drug names, and a small ConText-style negation/hedge scope.

Why these and not a model: no NLI or cross-encoder model ships inside an installable package (see
the offline-NLP notes), so the checks decide from evidence a reviewer can verify. Each helper here
is a pure function of its input; memo caches only avoid recomputing the same word or sentence.

- Stems: PyStemmer (Snowball English), so "cured"/"curable"/"cures" meet.
- Specificity: wordfreq's Zipf frequency of a word in general English. A word that is rare in
  general English ("nivolumab", "cytarabine", "metastatic") is a specific medical term; a common
  one ("treatment", "help") is not. This stands in for an IDF without a corpus.
- Drug names: the dictionary shipped by ``drug-named-entity-recognition`` (DrugBank/MeSH/Wikipedia
  variants mapped to canonical names, so "Lexapro" meets "escitalopram"). Its module builds an
  n-gram index at import (~2.5 s); only the exact-match dictionary is needed here, so it is read
  directly from the package data (~0.5 s), falling back to the module if the file moves.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:['’][a-z]+)?|\d+(?:[.,]\d+)*")

STOPWORDS: frozenset[str] = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "nor",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "also",
        "may",
        "might",
        "must",
        "shall",
        "us",
        "it's",
        "that's",
        "there's",
        "i'm",
        "you're",
        "we're",
        "they're",
        "i've",
        "you've",
        "we've",
        "i'd",
        "you'd",
        "he's",
        "she's",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "don't",
        "doesn't",
        "didn't",
        "won't",
        "can't",
        "cannot",
        "couldn't",
        "shouldn't",
        "wouldn't",
        "hasn't",
        "haven't",
        "hadn't",
        "etc",
        "e",
        "g",
        "eg",
        "ie",
        "vs",
        "via",
        "per",
        "s",
        "t",
    ]
)

_NUMBER_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "seventy": "70",
    "eighty": "80",
    "ninety": "90",
    "hundred": "100",
    "half": "50%",
    "once": "1",
    "twice": "2",
    "single": "1",
    "double": "2",
}
_ROMAN = {"0": "0", "i": "1", "ii": "2", "iii": "3", "iv": "4", "1": "1", "2": "2", "3": "3", "4": "4"}
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9.])(\d+(?:[.,]\d+)*)\s*(?:-|\u2013|to)?\s*"
    r"(%|percent|per\s*cent|mg/m2|mg|mcg|µg|g/dl|ml|mm|cm|kg|g|°\s*[cf]|degrees?|years?|yrs?|months?|weeks?|days?|hours?|hrs?|minutes?|mins?|cycles?|doses?|times|fold|x)?"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_STAGE = re.compile(r"\bstage\s+(0|iv|iii|ii|i|[1-4])\s*([abc]\d?)?\b", re.IGNORECASE)
_WORD_NUMBER = re.compile(r"\b(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_UNIT_CLASS = {
    "%": "%",
    "percent": "%",
    "per cent": "%",
    "percentage": "%",
    "year": "year",
    "years": "year",
    "yr": "year",
    "yrs": "year",
    "month": "month",
    "months": "month",
    "week": "week",
    "weeks": "week",
    "day": "day",
    "days": "day",
    "hour": "hour",
    "hours": "hour",
    "hr": "hour",
    "hrs": "hour",
    "minute": "minute",
    "minutes": "minute",
    "min": "minute",
    "mins": "minute",
    "mg": "mg",
    "mcg": "mcg",
    "µg": "mcg",
    "ml": "ml",
    "mm": "mm",
    "cm": "cm",
    "kg": "kg",
    "g": "g",
    "cycle": "cycle",
    "cycles": "cycle",
    "dose": "dose",
    "doses": "dose",
}


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # lower-cased surface form
    stem: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return str(_stemmer().stemWord(word))


_BRITISH = [
    (re.compile(r"^(.{2,}?)ae(?=[a-z])"), r"\1e"),  # haemoptysis, leukaemia, anaemia, paediatric
    (re.compile(r"^(h|an|leuk|p|ort|gyn|orth)ae"), r"\1e"),
    (re.compile(r"^(o|di|diarrh|oedem|oesophag|oestr)oe"), r"\1e"),
    (re.compile(r"^oe"), "e"),  # oesophagus, oestrogen, oedema
    (re.compile(r"(?<=[a-z]{3})is(e|ed|es|ing|ation|ations)$"), r"iz\1"),  # localised, randomised
    (re.compile(r"(?<=[a-z]{2})ys(e|ed|es|ing)$"), r"yz\1"),  # analyse
    (re.compile(r"(?<=[a-z]{3})our(s|ed|able)?$"), r"or\1"),  # tumour, favourable, behaviour
    (re.compile(r"(?<=[a-z]{3})tre(s)?$"), r"ter\1"),  # centre, litre
    (re.compile(r"(?<=[a-z]{3})ogue(s)?$"), r"og\1"),  # analogue
]


@lru_cache(maxsize=200_000)
def american(word: str) -> str:
    """British spellings folded to American ones (applied to both sides, so a harmless collision
    such as "rise" -> "rize" changes nothing)."""
    if len(word) < 5 or not word.isalpha():
        return word
    for pattern, repl in _BRITISH:
        word = pattern.sub(repl, word)
    return word


def tokens(text: str, spelling: dict[str, str] | None = None, fold: bool = False) -> list[Token]:
    """Word and number tokens with offsets; ``spelling`` maps variants (chemo -> chemotherapy)
    first, ``fold`` folds British spellings to American ones."""
    out = []
    for match in WORD.finditer(text):
        word = match.group(0).lower().replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        if fold:
            word = american(word)
        if spelling:
            word = spelling.get(word, word)
        out.append(Token(word, stem(word), match.start(), match.end()))
    return out


@lru_cache(maxsize=200_000)
def zipf(word: str) -> float:
    """How common a word is in general English (Zipf scale: 7 = "the", 3 = rare, 0 = unknown)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


def is_content(word: str) -> bool:
    return word not in STOPWORDS and (len(word) > 1 or word.isdigit())


@dataclass(frozen=True, slots=True)
class Quantity:
    value: str
    unit: str | None
    start: int
    end: int


def _norm_number(raw: str) -> str:
    raw = raw.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw) else raw.replace(",", ".")
    if "." in raw:
        raw = raw.rstrip("0").rstrip(".") or "0"
    return raw


def quantities(text: str) -> list[Quantity]:
    """Numbers with their unit class, number words, and cancer stages ("stage IIIB" -> stage 3b)."""
    out: list[Quantity] = []
    taken: list[tuple[int, int]] = []
    for match in _STAGE.finditer(text):
        value = "stage " + _ROMAN[match.group(1).lower()] + (match.group(2) or "").lower()
        out.append(Quantity(value, "stage", match.start(), match.end()))
        taken.append((match.start(), match.end()))
    for match in _NUMBER.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        unit = match.group(2)
        unit_class = _UNIT_CLASS.get(re.sub(r"\s+", " ", unit.lower()).strip("°"), unit.lower()) if unit else None
        out.append(Quantity(_norm_number(match.group(1)), unit_class, match.start(), match.end()))
    for match in _WORD_NUMBER.finditer(text):
        word = match.group(1).lower()
        tail = text[match.end() : match.end() + 12].lower()
        value = _NUMBER_WORDS[word]
        unit_match = re.match(
            r"\s*(?:-\s*|to\s+\w+\s+)?(percent|per\s+cent|years?|months?|weeks?|days?|hours?|minutes?|cycles?|doses?|times)", tail
        )
        if value.endswith("%"):
            value, unit = value[:-1], "%"
        elif unit_match is None:
            continue  # "two treatments", "one of the": a count of things, not a measured quantity
        else:
            unit = _UNIT_CLASS.get(re.sub(r"\s+", " ", unit_match.group(1)), unit_match.group(1))
        out.append(Quantity(value, unit, match.start(), match.end()))
    return out


def quantity_supported(q: Quantity, pool: Sequence[Quantity]) -> bool:
    """A claim's number is supported when the same value appears with a compatible unit."""
    for other in pool:
        if other.value != q.value:
            continue
        if q.unit is None or other.unit is None or q.unit == other.unit:
            return True
    return False


# ---------------------------------------------------------------- drug names


_DRUG_LOCK = threading.Lock()


def _drug_cache_path(data: Path) -> Path | None:
    base = os.environ.get("NAVIS_DATA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "navis-eval"
    )
    stat = data.stat()
    return Path(base) / f"drug-dictionary-{stat.st_size}-{int(stat.st_mtime)}.marshal"


def _load_drug_variants() -> dict[str, str]:
    """Variant -> "canonical|canonical" from the package's bz2 pickle (about 1 s to decompress), kept
    afterwards as an uncompressed marshal file in the user's cache (about 0.03 s to load)."""
    import bz2
    import marshal
    import pickle
    from importlib.util import find_spec

    spec = find_spec("drug_named_entity_recognition")
    if spec is None or not spec.origin:
        return {}
    data = Path(spec.origin).with_name("drug_ner_dictionary.pkl.bz2")
    raw: dict[str, list[str]] | None = None
    cache = _drug_cache_path(data) if data.is_file() else None
    if cache is not None and cache.is_file():
        try:
            return marshal.loads(cache.read_bytes())  # type: ignore[no-any-return]
        except (OSError, ValueError, EOFError, TypeError):
            pass
    if data.is_file():
        try:
            with bz2.open(data, "rb") as fh:
                raw = pickle.load(fh)["drug_variant_to_canonical"]  # noqa: S301 - data shipped by the package
        except Exception:  # noqa: BLE001 - fall back to the module's own loading
            raw = None
    if raw is None:
        from drug_named_entity_recognition import drugs_finder

        raw = dict(drugs_finder.drug_variant_to_canonical)
    variants = {k: "|".join(sorted(v)) for k, v in raw.items() if k.count(" ") <= 2 and v}
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".tmp{os.getpid()}")
            tmp.write_bytes(marshal.dumps(variants))
            os.replace(tmp, cache)
        except OSError:
            pass
    return variants


_DRUG_TABLES: list[tuple[dict[str, str], frozenset[str]]] = []


def _drug_tables() -> tuple[dict[str, str], frozenset[str]]:
    """Loaded once per process, also when the background prefetch and the first case race."""
    if _DRUG_TABLES:
        return _DRUG_TABLES[0]
    with _DRUG_LOCK:
        if not _DRUG_TABLES:
            variants = _load_drug_variants()
            first_words = frozenset(k.split(" ", 1)[0] for k in variants if " " in k)
            _DRUG_TABLES.append((variants, first_words))
    return _DRUG_TABLES[0]


def drug_dictionary() -> dict[str, str]:
    """Lower-cased drug name variants (one to three words) -> canonical name(s), "|"-joined."""
    return _drug_tables()[0]


def prefetch() -> None:
    """Load the word-frequency and drug data in the background (both are needed by the first case)."""

    def work() -> None:
        try:
            _drug_tables()
            zipf("cancer")
        except Exception:  # noqa: BLE001 - the foreground load will report real problems
            pass

    threading.Thread(target=work, name="navis-lexical-prefetch", daemon=True).start()


@dataclass(frozen=True, slots=True)
class DrugMention:
    canonical: str
    surface: str
    start: int
    end: int


def drugs(text: str, toks: Sequence[Token] | None = None, ignore: Iterable[str] = ()) -> list[DrugMention]:
    """Drug names in a text (longest match first, three words down to one)."""
    dictionary, first_words = _drug_tables()
    if not dictionary:
        return []
    toks = list(toks) if toks is not None else tokens(text)
    skip = set(ignore)
    out: list[DrugMention] = []
    i = 0
    while i < len(toks):
        hit = None
        for n in (3, 2, 1) if toks[i].text in first_words else (1,):
            if i + n > len(toks):
                continue
            phrase = " ".join(t.text for t in toks[i : i + n])
            if n == 1 and (phrase in STOPWORDS or len(phrase) < 3 or phrase.isdigit()):
                continue
            canon = dictionary.get(phrase)
            if canon and phrase not in skip:
                hit = DrugMention(canon, text[toks[i].start : toks[i + n - 1].end], toks[i].start, toks[i + n - 1].end)
                i += n
                break
        if hit is None:
            i += 1
        else:
            out.append(hit)
    return out


def any_of(patterns: Sequence[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One alternation for a list of rubric patterns: a single scan instead of one per pattern."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.IGNORECASE)


# ---------------------------------------------------------------- negation and hedge scope


@dataclass(frozen=True, slots=True)
class Modifiers:
    negated: bool
    hedged: bool
    cue: str | None = None


def clause_bounds(text: str, start: int, end: int, terminators: Sequence[re.Pattern[str]]) -> tuple[int, int]:
    """The clause around [start, end): from the last terminator before it to the first after it."""
    left, right = 0, len(text)
    for pattern in terminators:
        for match in pattern.finditer(text):
            if match.end() <= start:
                left = max(left, match.end())
            elif match.start() >= end:
                right = min(right, match.start())
    return left, right


def modifiers(
    text: str,
    start: int,
    end: int,
    *,
    negations_before: Sequence[re.Pattern[str]],
    negations_after: Sequence[re.Pattern[str]] = (),
    hedges: Sequence[re.Pattern[str]] = (),
    terminators: Sequence[re.Pattern[str]] = (),
    window_words: int = 8,
) -> Modifiers:
    """ConText-style: is the target at [start, end) negated or hedged within its clause?

    A "before" negation cue must end within ``window_words`` words before the target, an "after"
    cue must start within the clause after it; hedges apply anywhere in the clause.
    """
    left, right = clause_bounds(text, start, end, terminators)
    before = text[left:start]
    words_before = list(re.finditer(r"\S+", before))
    if len(words_before) > window_words:
        before_start = words_before[-window_words].start()
        before = before[before_start:]
    after = text[end:right]
    for pattern in negations_before:
        found = pattern.search(before)
        if found:
            return Modifiers(True, False, found.group(0))
    for pattern in negations_after:
        found = pattern.search(after)
        if found:
            return Modifiers(True, False, found.group(0))
    clause = text[left:right]
    for pattern in hedges:
        found = pattern.search(clause)
        if found:
            return Modifiers(False, True, found.group(0))
    return Modifiers(False, False, None)
