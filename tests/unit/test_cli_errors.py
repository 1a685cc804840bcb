"""One place turns failures into one-line messages and exit codes (lto.cli.errors)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lto.atlas.errors import InvalidValue
from lto.bootstrap import ConfigurationError
from lto.cli.errors import CliError, ExitCode, to_cli_error
from lto.config import load_settings
from lto.matrix.ports import SimulationError


def test_a_settings_error_names_the_variable_not_lto_underscore(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LTO_SIMULATOR", "external")
    with pytest.raises(ValidationError) as info:
        load_settings()
    error = to_cli_error(info.value)
    assert error.exit_code == ExitCode.ENVIRONMENT
    message = error.format_message()
    assert message.startswith("LTO_EXTERNAL_SIMULATOR_COMMAND: is required")
    assert "Value error" not in message


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ConfigurationError("LTO_ARRAY_BACKEND=cupy but no CUDA device"), ExitCode.ENVIRONMENT),
        (InvalidValue("na", "must lie in (0, 2)", 3), ExitCode.BAD_INPUT),
        (SimulationError("external simulator exited with status 1"), ExitCode.FAILED),
        (PermissionError(13, "Permission denied", "/data/lto"), ExitCode.ENVIRONMENT),
        (MemoryError(), ExitCode.TOO_LARGE),
        (ZeroDivisionError("division by zero"), ExitCode.FAILED),
    ],
)
def test_each_failure_has_its_exit_code(exc: Exception, code: ExitCode) -> None:
    error = to_cli_error(exc)
    assert error.exit_code == code
    assert "\n" not in error.format_message()


def test_a_permission_error_names_the_path() -> None:
    message = to_cli_error(PermissionError(13, "Permission denied", "/data/lto")).format_message()
    assert message == "/data/lto: Permission denied"


def test_messages_keep_their_square_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    CliError("unit 'mJ/cm^2' measures [mass] / [time] ** 2, not [length]").show()
    assert (
        "error: unit 'mJ/cm^2' measures [mass] / [time] ** 2, not [length]"
        in capsys.readouterr().err
    )
