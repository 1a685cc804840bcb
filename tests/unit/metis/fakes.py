"""Evaluators with known answers, for the optimiser's tests (importable by child processes)."""

from __future__ import annotations

import math
from pathlib import Path

from lto.atlas.contracts import JobParameters

BEST_DOSE, BEST_FOCUS = 33.0, 12.0


class Bowl:
    """yield_risk a smooth bowl with its minimum 0 at (BEST_DOSE, BEST_FOCUS); depth of focus
    falls with σ away from 0.6; resolution_vs_dof rises with σ: two objectives in tension."""

    def __init__(self, fail_above_dose: float = math.inf) -> None:
        self.fail_above_dose = fail_above_dose
        self.calls = 0

    def evaluate(self, job: JobParameters) -> dict[str, float]:
        self.calls += 1
        if job.dose_mj_cm2 > self.fail_above_dose:
            raise RuntimeError("the fake simulator refuses this dose")
        risk = ((job.dose_mj_cm2 - BEST_DOSE) / 6.0) ** 2 + (
            (job.focus_nm - BEST_FOCUS) / 120.0
        ) ** 2
        return {
            "yield_risk": min(risk, 1.0),
            "resolution_vs_dof": job.sigma,
            "overall_health": 1.0 - abs(job.sigma - 0.6),
            "depth_of_focus_nm": 200.0 * (1.0 - abs(job.sigma - 0.6)),
        }


class Shifted(Bowl):
    """The 'physics' beside Bowl as 'surrogate': the same bowl, its minimum 1 mJ/cm² higher."""

    def evaluate(self, job: JobParameters) -> dict[str, float]:
        moved = job.model_copy(update={"dose_mj_cm2": job.dose_mj_cm2 - 1.0})
        return super().evaluate(moved)


def optimise_in_child(
    storage: str, study: str, problem_json: dict, trials: int, worker: int
) -> None:
    """One process of a shared study (run under multiprocessing's spawn)."""
    from lto.metis.adapters.optuna_study import OptunaStudyEngine
    from lto.metis.problem import OptimizationProblem

    OptunaStudyEngine(storage).optimize(
        OptimizationProblem.from_json(problem_json), Bowl(), study_name=study, trials=trials,
        seed=1, worker=worker,
    )  # fmt: skip


def run_shared_study(storage: str, study: str, problem_json: dict, trials: int) -> None:
    """Two spawned processes optimising one study (already made) to ``trials`` trials."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=optimise_in_child, args=(storage, study, problem_json, trials, w))
        for w in (1, 2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
        assert worker.exitcode == 0


def journal(tmp: Path) -> str:
    return f"journal:{tmp / 'studies.journal'}"


class MemoryRegistry:
    """``ModelRegistry`` in a dict: versions, aliases and tags as MLflow keeps them."""

    def __init__(self) -> None:
        from lto.metis.registry import ModelVersion

        self._versions: dict[str, ModelVersion] = {}
        self._aliases: dict[str, str] = {}
        self.artifacts: dict[str, Path] = {}

    def register(self, artifact: Path, *, metrics, tags, figures=None):
        from lto.metis.registry import ModelVersion

        version = str(len(self._versions) + 1)
        self._versions[version] = ModelVersion(version, f"run-{version}", dict(metrics), dict(tags))
        self.artifacts[version] = Path(artifact)
        return self.get(version)

    def get(self, version: str):
        import dataclasses

        from lto.metis.registry import RegistryError

        if version not in self._versions:
            raise RegistryError(f"no version {version}")
        aliases = tuple(a for a, v in self._aliases.items() if v == version)
        return dataclasses.replace(self._versions[version], aliases=aliases)

    def versions(self):
        return [self.get(v) for v in self._versions]

    def by_alias(self, alias: str):
        version = self._aliases.get(alias)
        return None if version is None else self.get(version)

    def set_alias(self, alias: str, version: str) -> None:
        self.get(version)
        self._aliases[alias] = version

    def clear_alias(self, alias: str) -> None:
        self._aliases.pop(alias, None)

    def set_tag(self, version: str, key: str, value: str) -> None:
        self._versions[version].tags[key] = value

    def download(self, version: str) -> Path:
        return self.artifacts[version]


class MemoryShadowLog:
    def __init__(self) -> None:
        self.rows: list = []

    def append(self, record) -> None:
        self.rows.append(record)

    def records(self, challenger: str) -> list:
        return [r for r in self.rows if r.challenger == challenger]


def metrics(accuracy: float = 0.99, critical: float = 0.99, coverage: float = 0.95) -> dict:
    """Held-out metrics in EnsembleSurrogate.metrics' shape."""
    scores = ("resolution_vs_dof", "yield_risk", "speed_vs_accuracy", "cost_vs_fidelity")
    return {
        "accuracy": {"overall": accuracy, "critical": critical},
        "coverage": dict.fromkeys(scores, coverage),
        "ood": {"outside_flagged": 1.0, "in_domain_flagged": 0.01},
    }
