"""The scorer as the app uses it: built once per process on first use, failures kept readable."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import func, select

from trainer.core.engine import Verdict
from trainer.extensions import db
from trainer.models import TurnScore
from trainer.vocabulary import DIMENSIONS


class ScoringUnavailable(RuntimeError):
    """The scorer cannot score now (model missing or corrupt); the reply is kept unscored."""


class ReplyScorer(Protocol):
    def score(self, reply: str, context: str = "") -> Any: ...

    def score_many(self, pairs: Sequence[tuple[str, str]]) -> list[Any]: ...


class ScorerProvider:
    """Builds the scorer lazily with a factory; a failed build is retried on the next request."""

    def __init__(self, factory: Callable[[], ReplyScorer]) -> None:
        self._factory = factory
        self._scorer: ReplyScorer | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> ReplyScorer | None:
        """The scorer if this process has built it, without building it."""
        return self._scorer

    def get(self) -> ReplyScorer:
        if self._scorer is None:
            with self._lock:
                if self._scorer is None:
                    try:
                        self._scorer = self._factory()
                    except Exception as exc:
                        raise ScoringUnavailable(f"the scorer could not be loaded: {exc}") from exc
        return self._scorer

    def score(self, reply: str, context: str) -> Any:
        return self._guarded(lambda scorer: scorer.score(reply, context=context))

    def score_many(self, pairs: Sequence[tuple[str, str]]) -> list[Any]:
        return self._guarded(lambda scorer: scorer.score_many(pairs))

    def _guarded(self, call: Callable[[ReplyScorer], Any]) -> Any:
        scorer = self.get()
        try:
            return call(scorer)
        except ValueError:
            raise  # the reply itself is unusable: the caller tells the trainee
        except Exception as exc:  # any model failure: the reply is kept, scored later
            raise ScoringUnavailable(f"scoring failed: {exc}") from exc

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[Verdict | str]:
        """Verdicts on many pairs in one batch; a reply the scorer refuses gets its message."""
        try:
            return [verdict_of(result) for result in self.score_many(pairs)]
        except ValueError:
            pass  # one unusable reply refuses the batch: find it pair by pair
        verdicts: list[Verdict | str] = []
        for reply, context in pairs:
            try:
                verdicts.append(verdict_of(self.score(reply, context)))
            except ValueError as exc:
                verdicts.append(str(exc))
        return verdicts


def real_scorer_factory(model_dir: str | None) -> Callable[[], ReplyScorer]:
    def build() -> ReplyScorer:
        from trainer.scoring import load_scorer

        return load_scorer(model_dir)

    return build


def verdict_of(result: Any) -> Verdict:
    """What the engine needs from a scorer result."""
    return Verdict(
        levels={name: result.dimensions[name].level for name in DIMENSIONS},
        flags=frozenset(result.flags),
        service_level=result.service_level,
    )


def scores_by_model() -> list[tuple[str, int, Any]]:
    """(model version, how many turn scores it gave, the latest one's time), newest first."""
    query = (
        select(TurnScore.model_version, func.count(), func.max(TurnScore.created_at))
        .group_by(TurnScore.model_version)
        .order_by(func.max(TurnScore.created_at).desc())
    )
    return [(version, count, latest) for version, count, latest in db.session.execute(query)]
