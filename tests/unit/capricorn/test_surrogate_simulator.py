from __future__ import annotations

from lto.capricorn.adapters.surrogate_simulator import SurrogateSimulator
from lto.capricorn.service.evaluation import evaluate
from lto.capricorn.service.preflight import PreflightPolicy
from tests.unit.capricorn.doubles import FixedSurrogate, prediction
from tests.unit.capricorn.jobs import a_job


def test_its_result_is_the_surrogates_mean_and_says_so() -> None:
    surrogate = FixedSurrogate(prediction(yield_risk=0.2))
    result = SurrogateSimulator(surrogate).run("job-1", a_job())
    assert result.signals is not None
    assert result.signals.yield_risk == 0.2
    assert result.compute.simulator == "surrogate surrogate-v1"
    assert result.cd_nm is None  # no physics, no CD
    # the pipeline's evaluation finds it within its own interval: no anomaly
    assert not evaluate(result, surrogate.answer, PreflightPolicy()).is_anomaly


def test_the_settings_accept_it() -> None:
    from lto.bootstrap import bootstrap
    from lto.config import load_settings

    app = bootstrap(load_settings(simulator="surrogate"))
    assert app.components["simulator"] == "the current surrogate (not physics)"
    assert not app.builtin_simulator
