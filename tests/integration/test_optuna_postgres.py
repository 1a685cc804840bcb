"""Studies on the machine's real PostgreSQL: two processes optimising one study share its
budget and record every trial once (Optuna RDB storage through psycopg 3)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest

from lto.metis.adapters.optuna_study import OptunaStudyEngine
from tests.unit.metis.fakes import Bowl, run_shared_study
from tests.unit.metis.test_study import bowl_problem

POSTGRES = os.environ.get(
    "LTO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def study_name() -> Iterator[str]:
    import optuna

    name = f"lto-test-{uuid.uuid4().hex[:10]}"
    yield name
    with contextlib.suppress(KeyError):
        optuna.delete_study(study_name=name, storage=OptunaStudyEngine(POSTGRES).storage)


def test_two_processes_on_postgresql_record_each_trial_once(study_name: str) -> None:
    import optuna

    problem = bowl_problem()
    engine = OptunaStudyEngine(POSTGRES)
    engine.optimize(problem, Bowl(), study_name=study_name, trials=1, seed=0)  # made once
    run_shared_study(POSTGRES, study_name, problem.to_json(), 24)
    result = engine.result(study_name)
    assert len(result.trials) == 24
    assert sorted({t.number for t in result.trials}) == sorted(t.number for t in result.trials)
    study = optuna.load_study(study_name=study_name, storage=engine.storage)
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(complete) == 24
    workers_seen = {t.user_attrs["worker"].split(":")[-1] for t in complete}
    assert {"1", "2"} <= workers_seen
    assert result.best[0].values[0] < 0.2
