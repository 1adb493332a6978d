"""pytest plugin: one test per gold item and check (``pytest --navis-engine evals/engines/X.yaml``).

Registered under the ``pytest11`` entry point, so it is loaded in every pytest session of the
environment: at import it touches nothing but pytest and the standard library, and it does
nothing at all unless ``--navis-engine`` is given.

::

    pytest --navis-engine evals/engines/reference.yaml [--navis-dataset gold.jsonl]
           [--navis-rubric rubrics/navis-v1.yaml] [--navis-limit N]
           [-k "breast and grounding"] [-n 4] [--junitxml out.xml]

Test ids are ``navis::<cancer_type>::<item_id>[<check>]``, so ``-k`` selects by cancer type, item or
check. A failure shows the question, the check's reasons and the offending spans of the answer;
an unscored check is a skip (it could not judge), an engine error a failure. Each answer is asked
once per process and kept in the response cache, so with pytest-xdist the checks of one item on
another worker cost no second engine call (``--dist loadgroup`` keeps them on one worker).

The ``navis`` fixture gives custom tests the engine, the gold set and the checks::

    def test_no_cure_claims_for_pancreatic(navis):
        for item in navis.items(cancer_type="pancreatic"):
            navis.assert_passes("cure_overstatement", item)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from navis_eval.checks.base import Case, Check
    from navis_eval.models import CheckResult, EngineAnswer, GoldItem

_STATE_KEY = pytest.StashKey["NavisSession"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("navis", "navis-eval: one test per gold item and check")
    group.addoption("--navis-engine", default=None, metavar="CONFIG", help="Engine kind or YAML config; enables the navis tests.")
    group.addoption("--navis-dataset", default=None, metavar="PATH", help="Gold set: descriptor (.yaml), JSONL or Parquet.")
    group.addoption("--navis-rubric", default=None, metavar="PATH", help="Rubric YAML (default: the bundled navis-v1).")
    group.addoption("--navis-limit", default=None, type=int, metavar="N", help="Only the first N gold items.")
    group.addoption("--navis-no-cache", action="store_true", default=False, help="Do not use the engine response cache.")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("navis_engine", None):
        config.addinivalue_line("markers", "navis(check, item, cancer_type): a navis-eval check on one gold item")
        config.addinivalue_line("markers", "xdist_group(name): keep tests of one group on one pytest-xdist worker")


class NavisSession:
    """Engine, gold set and checks for one pytest process; answers are asked once and kept."""

    def __init__(self, config: pytest.Config) -> None:
        import asyncio

        from navis_eval.integrations import quiet_third_parties

        quiet_third_parties()
        from navis_eval.checks import build_checks
        from navis_eval.dataset import load_dataset
        from navis_eval.engines import create_engine, load_engine_config
        from navis_eval.engines.base import EngineContext
        from navis_eval.errors import NavisError
        from navis_eval.rubric import load_rubric

        try:
            self.dataset = load_dataset(config.getoption("navis_dataset"))
            self.rubric = load_rubric(config.getoption("navis_rubric"))
            engine_config, _ = load_engine_config(config.getoption("navis_engine"))
            self.engine = create_engine(engine_config, EngineContext(self.dataset))
            self.engine.check_ready()
        except NavisError as exc:
            raise pytest.UsageError(f"navis-eval: {exc}") from None
        self.checks: list[Check] = build_checks(self.rubric)
        limit = config.getoption("navis_limit")
        self.gold: list[GoldItem] = self.dataset.items[:limit] if limit else list(self.dataset.items)
        self.use_cache = not config.getoption("navis_no_cache")
        self._loop = asyncio.new_event_loop()  # one loop: engine clients keep their connections
        self._answers: dict[str, EngineAnswer] = {}
        self._cache: Any = None

    # -- for custom tests ------------------------------------------------------------------------

    def items(self, *, cancer_type: str | None = None, category: str | None = None) -> list[GoldItem]:
        return [
            i
            for i in self.gold
            if (cancer_type is None or i.cancer_type == cancer_type) and (category is None or i.category == category)
        ]

    def item(self, item_id: str) -> GoldItem:
        return self.dataset.item(item_id)

    def check(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"the rubric has no check '{name}' (has: {', '.join(c.name for c in self.checks)})")

    def answer(self, item: GoldItem | str) -> EngineAnswer:
        """The engine's answer to a gold item (asked once per process, cached across processes)."""
        gold = self.item(item) if isinstance(item, str) else item
        if gold.id not in self._answers:
            self._answers[gold.id] = self._loop.run_until_complete(self._ask(gold))
        return self._answers[gold.id]

    def case(self, item: GoldItem | str, answer: str | None = None, contexts: list[str] | None = None) -> Case:
        from navis_eval.scoring import case_from_answer

        gold = self.item(item) if isinstance(item, str) else item
        if answer is None:
            got = self.answer(gold)
            answer, contexts = got.text, got.contexts if contexts is None else contexts
        return case_from_answer(gold, answer, list(contexts or []))

    def evaluate(
        self, name: str, item: GoldItem | str, answer: str | None = None, contexts: list[str] | None = None
    ) -> CheckResult:
        from navis_eval.scoring import evaluate

        return evaluate([self.check(name)], self.case(item, answer, contexts))[0]

    def assert_passes(
        self, name: str, item: GoldItem | str, answer: str | None = None, contexts: list[str] | None = None
    ) -> CheckResult:
        """Fail with the check's reasons and offending spans unless it passed (unscored also fails)."""
        from navis_eval.integrations._shared import format_result

        case = self.case(item, answer, contexts)
        result = self.evaluate(name, item, case.answer, case.contexts)
        if result.passed is not True:
            pytest.fail(f"{case.item_id}: {format_result(result, case.answer)}", pytrace=False)
        return result

    # -- internals ------------------------------------------------------------------------------

    async def _ask(self, gold: GoldItem) -> EngineAnswer:
        import random

        from navis_eval.cache import ResponseCache, cache_key
        from navis_eval.runner import RateLimiter, RunOptions, answer_with_retries

        key = None
        if self.use_cache and self.engine.cacheable:
            if self._cache is None:
                self._cache = ResponseCache.default()
            key = cache_key(self.engine.fingerprint(), self.engine.request_key(gold))
            hit = self._cache.get(key, gold.id)
            if hit is not None:
                return hit  # type: ignore[no-any-return]
        answer = await answer_with_retries(self.engine, gold, RunOptions(progress=False), RateLimiter(None), random.Random())
        if key is not None and answer.error is None:
            self._cache.put(key, answer)
        return answer

    def close(self) -> None:
        try:
            self._loop.run_until_complete(self.engine.aclose())
        finally:
            self._loop.close()
            if self._cache is not None:
                self._cache.close()


def _session(config: pytest.Config) -> NavisSession:
    state = config.stash.get(_STATE_KEY, None)
    if state is None:
        state = NavisSession(config)
        config.stash[_STATE_KEY] = state
    return state


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE_KEY, None)
    if state is not None:
        state.close()


class CheckFailed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NavisItem(pytest.Item):
    """One check on one gold item's answer."""

    def __init__(self, *, gold: GoldItem, check_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gold = gold
        self.check_name = check_name
        self.add_marker(pytest.mark.navis(check=check_name, item=gold.id, cancer_type=gold.cancer_type))
        self.add_marker(pytest.mark.xdist_group(gold.id))
        self.extra_keyword_matches.update({gold.cancer_type, check_name, gold.category, gold.risk})
        self.user_properties.extend([("item_id", gold.id), ("check", check_name), ("cancer_type", gold.cancer_type)])

    def runtest(self) -> None:
        from navis_eval.integrations._shared import format_result
        from navis_eval.scoring import case_from_answer, evaluate

        state = _session(self.config)
        answer = state.answer(self.gold)
        if answer.error is not None:
            raise CheckFailed(f"the engine gave no answer: {answer.error.kind}: {answer.error.message}")
        case = case_from_answer(self.gold, answer.text, answer.contexts)
        result = evaluate([state.check(self.check_name)], case)[0]
        self.user_properties.append(("status", result.status.value))
        if result.passed is None:
            pytest.skip(f"unscored: {'; '.join(result.reasons) or 'the check could not judge this answer'}")
        if not result.passed:
            raise CheckFailed(
                f"{self.check_name} failed on {self.gold.id} "
                f"({self.gold.cancer_type}, {self.gold.category}, {self.gold.risk} risk)\n"
                f"question: {self.gold.question}\n" + format_result(result, case.answer)
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailed):
            return excinfo.value.message
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return Path(self.session.config.rootpath), None, f"navis {self.gold.id} [{self.check_name}]"


class NavisGroup(pytest.Collector):
    def collect(self) -> list[Any]:
        return []


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add the generated tests before ``-k``/``-m`` deselect (hence tryfirst)."""
    if not config.getoption("navis_engine", None):
        return
    state = _session(config)
    root = NavisGroup.from_parent(session, name="navis", nodeid="navis")
    groups: dict[str, NavisGroup] = {}
    for gold in state.gold:
        group = groups.get(gold.cancer_type)
        if group is None:
            group = NavisGroup.from_parent(root, name=gold.cancer_type)
            groups[gold.cancer_type] = group
        for check in state.checks:
            items.append(NavisItem.from_parent(group, name=f"{gold.id}[{check.name}]", gold=gold, check_name=check.name))


@pytest.fixture
def navis(request: pytest.FixtureRequest) -> NavisSession:
    """The engine, gold items and checks of ``--navis-engine`` (skips when it is not given)."""
    if not request.config.getoption("navis_engine", None):
        pytest.skip("the navis fixture needs --navis-engine")
    return _session(request.config)
