"""Names and values in the words a page shows: a job parameter by its label ("Numerical
aperture NA", not ``na``) and a choice by its name ("Lines and spaces", not ``line_space``).

The values themselves never change: a select's option keeps its value, and only its label
comes from here. Anything not listed reads as its words (``anomaly_flagged`` → "anomaly
flagged"), so a value the API adds later still shows as words rather than as code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# The job's parameters, as the What-if form labels them (the form takes its labels from here).
PARAMETER_LABELS: Mapping[str, str] = {
    "constraint_profile": "Technology / profile",
    "wavelength_nm": "Wavelength λ",
    "na": "Numerical aperture NA",
    "illumination": "Illumination",
    "sigma": "σ outer",
    "sigma_inner": "σ inner",
    "dose_mj_cm2": "Dose",
    "focus_nm": "Focus",
    "resist_thickness_nm": "Resist thickness",
    "pattern": "Pattern",
    "target_cd_nm": "Target CD",
    "pitch_nm": "Pitch",
    "grid_size_nm": "Grid (pixel size)",
    "job_class": "Job class",
    "polarization": "Imaging model (polarisation)",
    "pattern_complexity": "Pattern complexity",
    "use_ai_surrogate": "Pre-flight with the surrogate",
    "priority": "Priority",
    "submitted_by": "Submitted by",
    "metadata": "Metadata",
}

VALUE_LABELS: Mapping[str, str] = {
    # patterns
    "line_space": "Lines and spaces",
    "contact_array": "Contact array",
    "line_end": "Line ends",
    # illumination
    "conventional": "Conventional",
    "annular": "Annular",
    "dipole": "Dipole",
    "quadrupole": "Quadrupole",
    "pixelated": "Pixelated",
    # job classes
    "standard": "Standard",
    "critical": "Critical",
    "exploratory": "Exploratory",
    # imaging models
    "scalar": "Scalar (no polarisation)",
    "unpolarized": "Unpolarised",
    "TE": "TE",
    "TM": "TM",
    "x": "x-polarised",
    "y": "y-polarised",
    "azimuthal": "Azimuthal",
    "radial": "Radial",
    # technologies and their constraint profiles (also as the cells' templates spell them)
    "EUV": "EUV",
    "ArF-immersion": "ArF immersion",
    "ArF-dry": "ArF dry",
    "KrF": "KrF",
    "i-line": "i-line",
    "arf_immersion": "ArF immersion",
    "arf-immersion": "ArF immersion",
    "arf_dry": "ArF dry",
    "arf-dry": "ArF dry",
    "euv": "EUV",
    # the optimiser's samplers and directions
    "auto": "Automatic",
    "tpe": "TPE (tree-structured Parzen)",
    "nsga2": "NSGA-II (genetic, for tradeoffs)",
    "gp": "Gaussian process",
    "random": "Random",
    "minimize": "minimise",
    "maximize": "maximise",
}


def words(value: Any) -> str:
    """A code-like value as words: ``anomaly_flagged`` → "anomaly flagged"."""
    return str(value).replace("_", " ")


def value_label(value: Any) -> str:
    """A choice as the page shows it ("Lines and spaces" for ``line_space``); "—" for none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(getattr(value, "value", value))
    return VALUE_LABELS.get(text, words(text))


def parameter_label(name: str) -> str:
    """A job parameter by its label on the What-if form (its words where it has none)."""
    return PARAMETER_LABELS.get(name, words(name))


def state_label(state: Any) -> str:
    """A job's or a run's state in words ("engineer review")."""
    return words(state) if state else "?"


def options(values: Iterable[Any], *, blank: str | None = None) -> list[dict[str, str]]:
    """Select or dropdown options: each value with its label (``blank``: a first, empty one)."""
    found = [{"label": blank, "value": ""}] if blank is not None else []
    return found + [{"label": value_label(v), "value": str(v)} for v in values]


# the surrogate's engineered features (lto.daedalus.features), as an engineer names them
FEATURE_LABELS: Mapping[str, str] = {
    "k1_half_pitch": "k1 of the half pitch",
    "pitch_over_limit": "pitch / resolution limit",
    "grid_over_nyquist": "grid / Nyquist pixel",
    "log_dose_over_predicted_dose_to_size": "log(dose / predicted dose to size)",
    "lambda_over_na": "λ/NA",
    "rayleigh_dof": "Rayleigh DoF λ/NA²",
    "coherent_cutoff": "coherent cutoff",
    "incoherent_cutoff": "incoherent cutoff",
}


def feature_label(name: str) -> str:
    """A surrogate feature in words: a one-hot column ``pattern=contact_array`` as "Pattern:
    Contact array (one-hot)", a job parameter by its form label."""
    if "=" in name:
        column, _, value = name.partition("=")
        return f"{parameter_label(column)}: {value_label(value)} (one-hot)"
    return FEATURE_LABELS.get(name) or parameter_label(name)


__all__ = [
    "FEATURE_LABELS",
    "PARAMETER_LABELS",
    "VALUE_LABELS",
    "feature_label",
    "options",
    "parameter_label",
    "state_label",
    "value_label",
    "words",
]
