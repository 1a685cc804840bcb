"""pydantic's messages in plain words, as the CLI, the API and the web app say them."""

from __future__ import annotations

import pytest

from lto.atlas.wording import plain_rule


@pytest.mark.parametrize(
    ("pydantic", "said"),
    [
        ("Field required", "required"),
        ("Input should be less than or equal to 1.35", "must be at most 1.35"),
        ("Input should be greater than 0", "must be greater than 0"),
        ("Input should be greater than or equal to 10000.0", "must be at least 10,000"),
        ("Input should be a valid number, unable to parse string as a number", "must be a number"),
        ("Input should be a finite number", "must be a finite number"),
        ("Extra inputs are not permitted", "is not a setting LTO knows"),
        ("Input should be 'annular' or 'dipole'", "must be one of 'annular' or 'dipole'"),
        ("Input should be <Shape.DIPOLE: 'dipole'>", "must be one of 'dipole'"),
        ("String should have at least 1 character", "must not be empty"),
    ],
)
def test_pydantic_wording_becomes_a_plain_rule(pydantic: str, said: str) -> None:
    assert plain_rule(pydantic) == said


def test_a_rule_lto_wrote_is_kept_without_pydantic_s_prefix() -> None:
    assert plain_rule("Value error, target_cd_nm (90) must be smaller than pitch_nm (50)") == (
        "target_cd_nm (90) must be smaller than pitch_nm (50)"
    )
