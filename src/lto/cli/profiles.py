"""``lto profiles``: the technologies (constraint profiles) and resists LTO knows, with their limits.

An engineer needs these numbers before writing a job: which NA range a profile accepts, the
DoF and exposure latitude it requires, the CD tolerance its yield risk is judged by, and the
resist the physics coats for it (absorption, acid diffusion, dose to clear). They live in
``lto.atlas.policies`` and ``lto.atlas.materials``; this command prints them as tables, or as
JSON (``--json``) for scripts, from the same rows so the two never disagree.
"""

from __future__ import annotations

import json
from typing import Any

from lto.atlas import materials
from lto.atlas.compounds import Compound
from lto.atlas.materials import ResistFormulation
from lto.atlas.policies import PROFILES, ConstraintProfile
from lto.atlas.technology import resolution_limit_pitch_nm


def atlas_resists() -> list[ResistFormulation]:
    """Every resist formulation the atlas defines, in definition order."""
    return [v for v in vars(materials).values() if isinstance(v, ResistFormulation)]


def _physics_resists() -> dict[str, str]:
    """Technology name → the resist ``PhysicsSimulator`` coats for it."""
    from lto.matrix.adapters.physics import RESISTS

    return {technology: resist.name for technology, resist in RESISTS.items()}


def technology_row(profile: ConstraintProfile, simulated_with: str | None) -> dict[str, Any]:
    """One profile's limits and process assumptions, in canonical units (nm, mJ/cm², %)."""
    tech = profile.technology
    finest = resolution_limit_pitch_nm(tech.wavelength_nm, profile.na.high, profile.sigma.high)
    return {
        "profile": profile.name,
        "description": tech.description,
        "wavelength_nm": tech.wavelength_nm,
        "medium_index": tech.medium_index,
        "na_range": [profile.na.low, profile.na.high],
        "optics_max_na": tech.max_na.value,
        "sigma_range": [profile.sigma.low, profile.sigma.high],
        "dose_range_mj_cm2": [profile.dose_mj_cm2.low, profile.dose_mj_cm2.high],
        "resist_thickness_range_nm": [
            profile.resist_thickness_nm.low,
            profile.resist_thickness_nm.high,
        ],
        "finest_pitch_nm": finest,
        "required_dof_nm": profile.required_dof_nm,
        "required_exposure_latitude_pct": 100 * profile.required_exposure_latitude,
        "cd_tolerance_pct": 100 * profile.cd_tolerance_fraction,
        "focus_sigma_nm": profile.focus_sigma_nm,
        "dose_sigma_pct": 100 * profile.dose_sigma_fraction,
        "max_aspect_ratio": profile.max_aspect_ratio,
        "resists": [r.name for r in atlas_resists() if r.supports(tech)],
        "simulated_with": simulated_with,
    }


def resist_row(resist: ResistFormulation) -> dict[str, Any]:
    """One resist's chemistry (compounds with CAS numbers) and imaging constants."""

    def compound(item: Compound | None) -> dict[str, str] | None:
        if item is None:
            return None
        return {"name": item.name, "cas": item.cas.value, "formula": item.formula}

    return {
        "name": resist.name,
        "tone": str(resist.tone),
        "chemistry": "chemically amplified" if resist.chemically_amplified else "DNQ/novolac",
        "polymer": compound(resist.polymer),
        "photoacid_generator": compound(resist.photoacid_generator),
        "photoactive_compound": compound(resist.photoactive_compound),
        "quencher": compound(resist.quencher),
        "solvent": compound(resist.solvent),
        "technologies": sorted(t.name for t in resist.technologies),
        "absorption_per_um": resist.absorption_per_um,
        "diffusion_length_nm": resist.diffusion_length_nm,
        "dose_to_clear_mj_cm2": resist.dose_to_clear_mj_cm2,
    }


def catalogue() -> dict[str, list[dict[str, Any]]]:
    """Both tables' rows: what ``--json`` prints and the Rich tables show."""
    simulated = _physics_resists()
    return {
        "technologies": [
            technology_row(p, simulated.get(p.technology.name)) for p in PROFILES.values()
        ],
        "resists": [resist_row(r) for r in atlas_resists()],
    }


def _span(values: list[float], unit: str = "") -> str:
    return f"{values[0]:g}–{values[1]:g}{f' {unit}' if unit else ''}"


def _transposed(
    title: str, names: list[str], lines: list[tuple[str, list[str]]], *, justify: str = "right"
) -> Any:
    """A table with one column per item and one row per property: five profiles side by side
    fit a terminal, fifteen properties side by side do not."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=True)
    table.add_column("", style="bold", max_width=24)
    for name in names:
        table.add_column(escape(name), justify=justify, overflow="fold")  # type: ignore[arg-type]
    for label, cells in lines:
        table.add_row(escape(label), *(escape(cell) for cell in cells))
    return table


def technologies_table(rows: list[dict[str, Any]]) -> Any:
    """Each profile's limits (what a job may ask for) and assumptions (what it is judged by)."""

    def line(label: str, format_row: Any) -> tuple[str, list[str]]:
        return label, [format_row(row) for row in rows]

    table = _transposed(
        "Technologies (constraint profiles)",
        [row["profile"] for row in rows],
        [
            line("wavelength", lambda r: f"{r['wavelength_nm']:g} nm"),
            line("medium index n", lambda r: f"{r['medium_index']:g}"),
            line("NA (optics max)", lambda r: f"{_span(r['na_range'])} ({r['optics_max_na']:g})"),
            line("sigma", lambda r: _span(r["sigma_range"])),
            line("dose", lambda r: _span(r["dose_range_mj_cm2"], "mJ/cm²")),
            line("resist thickness", lambda r: _span(r["resist_thickness_range_nm"], "nm")),
            line("finest pitch", lambda r: f"{r['finest_pitch_nm']:.1f} nm"),
            line("required DoF", lambda r: f"{r['required_dof_nm']:g} nm"),
            line("at exposure latitude", lambda r: f"{r['required_exposure_latitude_pct']:g}%"),
            line("CD tolerance", lambda r: f"±{r['cd_tolerance_pct']:g}%"),
            line("focus variation σ", lambda r: f"{r['focus_sigma_nm']:g} nm"),
            line("dose variation σ", lambda r: f"{r['dose_sigma_pct']:g}%"),
            line("max thickness/CD", lambda r: f"{r['max_aspect_ratio']:g}"),
            line("simulated with", lambda r: r["simulated_with"] or "none"),
        ],
    )
    table.caption = (
        "NA, sigma, dose and thickness: the ranges a job may ask for. Finest pitch: λ/(NA(1+σ)) "
        "at the top of both ranges. DoF is required at the stated exposure latitude; the focus "
        "and dose variation drive the yield risk against the CD tolerance."
    )
    return table


_CHEMISTRY = (
    ("polymer", "polymer"),
    ("photoacid generator", "photoacid_generator"),
    ("photoactive compound", "photoactive_compound"),
    ("quencher", "quencher"),
    ("solvent", "solvent"),
)


def resists_table(rows: list[dict[str, Any]]) -> Any:
    """Each resist's chemistry (compounds with CAS numbers) and the constants the model uses."""

    def compound(key: str) -> list[str]:
        return [
            f"{r[key]['name']}\nCAS {r[key]['cas']}, {r[key]['formula']}" if r[key] else "—"
            for r in rows
        ]

    return _transposed(
        "Resists (atlas materials)",
        [row["name"] for row in rows],
        [
            ("tone", [r["tone"] for r in rows]),
            ("chemistry", [r["chemistry"] for r in rows]),
            ("for", [", ".join(r["technologies"]) for r in rows]),
            *((label, compound(key)) for label, key in _CHEMISTRY),
            ("absorption α", [f"{r['absorption_per_um']:g} /µm" for r in rows]),
            (
                "bake diffusion length (acid or PAC)",
                [f"{r['diffusion_length_nm']:g} nm" for r in rows],
            ),
            ("dose to clear E0", [f"{r['dose_to_clear_mj_cm2']:g} mJ/cm²" for r in rows]),
        ],
        justify="left",
    )


def show(*, as_json: bool) -> None:
    """Print the catalogue: two Rich tables on stdout, or one JSON object."""
    import click

    rows = catalogue()
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.console import Console

    console = Console()
    console.print(technologies_table(rows["technologies"]))
    console.print()
    console.print(resists_table(rows["resists"]))
