"""``lto profiles``: the technologies and resists, as tables and as JSON, from the atlas."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from lto.atlas.materials import ARF_CAR, EUV_CAR, I_LINE_DNQ, KRF_CAR
from lto.atlas.policies import PROFILES
from lto.cli import cli
from lto.cli.profiles import atlas_resists, catalogue


def test_profiles_json_holds_every_profile_with_its_limits() -> None:
    result = CliRunner().invoke(cli, ["profiles", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    rows = {row["profile"]: row for row in payload["technologies"]}
    assert list(rows) == list(PROFILES)
    immersion = rows["ArF-immersion"]
    assert immersion["wavelength_nm"] == 193.0
    assert immersion["medium_index"] == 1.436
    assert immersion["na_range"] == [0.85, 1.35]
    assert immersion["required_dof_nm"] == 80.0
    assert immersion["required_exposure_latitude_pct"] == pytest.approx(5.0)
    assert immersion["cd_tolerance_pct"] == pytest.approx(10.0)
    assert immersion["finest_pitch_nm"] == pytest.approx(193 / (1.35 * 2))
    assert immersion["resists"] == [ARF_CAR.name]
    assert immersion["simulated_with"] == ARF_CAR.name
    assert rows["EUV"]["focus_sigma_nm"] == 10.0
    assert rows["i-line"]["resists"] == [I_LINE_DNQ.name]  # not a CAR: DNQ/novolac
    assert rows["i-line"]["simulated_with"] == I_LINE_DNQ.name


def test_profiles_json_holds_every_resist_with_its_chemistry() -> None:
    payload = catalogue()
    resists = {row["name"]: row for row in payload["resists"]}
    assert set(resists) == {ARF_CAR.name, KRF_CAR.name, EUV_CAR.name, I_LINE_DNQ.name}
    i_line = resists[I_LINE_DNQ.name]
    assert i_line["chemistry"] == "DNQ/novolac"
    assert i_line["photoacid_generator"] is None
    assert i_line["quencher"] is None
    assert i_line["photoactive_compound"]["cas"] == "3770-97-6"
    euv = resists[EUV_CAR.name]
    assert euv["tone"] == "positive"
    assert euv["technologies"] == ["EUV"]
    assert euv["absorption_per_um"] == 5.0
    assert euv["diffusion_length_nm"] == 6.0
    assert euv["dose_to_clear_mj_cm2"] == 20.0
    assert euv["solvent"] == {"name": "cyclohexanone", "cas": "108-94-1", "formula": "C6H10O"}
    assert resists[ARF_CAR.name]["polymer"]["cas"] == "9011-14-7"


def test_profiles_prints_both_tables_readably() -> None:
    result = CliRunner().invoke(cli, ["profiles"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Technologies (constraint profiles)" in out
    assert "Resists (atlas materials)" in out
    for name in PROFILES:
        assert name in out
    for resist in atlas_resists():
        assert resist.name in out
    assert "0.85–1.35 (1.35)" in out  # NA range of ArF immersion and its optics' ceiling
    assert "1.436" in out
    assert "80 nm" in out  # its required DoF
    assert "108-65-6" in out  # PGMEA's CAS number
    assert "6 nm" in out  # the EUV resist's acid diffusion length


def test_profiles_is_listed_in_help() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "profiles" in result.output
