"""The job-parameter form: its fields with their units and the constraint profile's limits,
pre-filling from a query string or a job, and validation with the atlas contract and profile.

Used by the what-if page (prefix ``whatif``) and the compare page's what-if scenario (prefix
``compare``). Each control has the pattern-matching id ``{"type": f"{prefix}-field", "name":
<JobParameters field>}``; its message is ``{prefix}-feedback`` and its limits ``{prefix}-limit``
with the same name.

The query string uses ``JobParameters`` field names (``/whatif?na=1.2&sigma=0.8``): the
Optimise page links a Pareto point that way (``whatif_href``). Fields the form does not show
(polarization, pattern_complexity, priority …) travel beside it as "extras".
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, dcc, html
from pydantic import ValidationError

from lto.acorn.labels import PARAMETER_LABELS, value_label
from lto.acorn.messages import field_label, field_message, plain_rule
from lto.atlas import PROFILES, TECHNOLOGIES, JobClass, JobParameters, Pattern
from lto.atlas.errors import DomainError
from lto.atlas.policies import ConstraintProfile, check_job, infer_profile_name
from lto.atlas.technology import resolution_limit_pitch_nm
from lto.atlas.units import parse_quantity

Value = float | str | None
NOT_PARAMETERS = frozenset({"submitted_by", "metadata"})
ILLUMINATIONS = ("conventional", "annular", "dipole", "quadrupole")


@dataclass(frozen=True)
class FieldSpec:
    name: str  # the JobParameters field
    unit: str = ""  # shown beside the input ("" for plain numbers)
    choices: tuple[str, ...] = ()  # a select when given
    required: bool = True

    @property
    def label(self) -> str:
        return PARAMETER_LABELS[self.name]

    @property
    def numeric(self) -> bool:
        return not self.choices


# the hint under Focus says "+ into the resist": the unit beside it stays short, or the
# input is squeezed to nothing in a half-width column
FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("constraint_profile", choices=tuple(PROFILES)),
    FieldSpec("wavelength_nm", "nm"),
    FieldSpec("na"),
    FieldSpec("illumination", choices=ILLUMINATIONS),
    FieldSpec("sigma"),
    FieldSpec("sigma_inner", required=False),
    FieldSpec("dose_mj_cm2", "mJ/cm²"),
    FieldSpec("focus_nm", "nm"),
    FieldSpec("resist_thickness_nm", "nm"),
    FieldSpec("pattern", choices=tuple(p.value for p in Pattern)),
    FieldSpec("target_cd_nm", "nm"),
    FieldSpec("pitch_nm", "nm"),
    FieldSpec("grid_size_nm", "nm"),
    FieldSpec("job_class", choices=tuple(c.value for c in JobClass)),
)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
SPECS: dict[str, FieldSpec] = {f.name: f for f in FIELDS}
_UNITS = {
    "wavelength_nm": ("nm", "193 nm"),
    "focus_nm": ("nm", "-20 nm"),
    "resist_thickness_nm": ("nm", "90 nm"),
    "target_cd_nm": ("nm", "45 nm"),
    "pitch_nm": ("nm", "90 nm"),
    "grid_size_nm": ("nm", "1 nm"),
    "dose_mj_cm2": ("mJ/cm^2", "36 mJ/cm^2"),
}

# A 45 nm line at 90 nm pitch on a 1.35 NA immersion scanner with a dipole: 1.2× the
# resolution limit λ/(NA(1+σ)) = 75 nm, CD/pitch 0.5, inner σ 67% of σ, 90 px per pitch and
# dose near its dose to size (36.1 mJ/cm² by the built-in physics): inside the surrogate's
# training domain (docs/surrogate.md), so the default gets a prediction the model covers.
DEFAULTS: dict[str, Value] = {
    "constraint_profile": "ArF-immersion",
    "wavelength_nm": 193.0,
    "na": 1.35,
    "illumination": "dipole",
    "sigma": 0.9,
    "sigma_inner": 0.6,
    "dose_mj_cm2": 36.0,
    "focus_nm": 0.0,
    "resist_thickness_nm": 90.0,
    "pattern": "line_space",
    "target_cd_nm": 45.0,
    "pitch_nm": 90.0,
    "grid_size_nm": 1.0,
    "job_class": "standard",
}


# --- pre-filling ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Prefill:
    """The form's values, the parameters beside it, and what in the source could not be used."""

    values: dict[str, Value]
    extras: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d*,\d+")


def read_number(text: Any) -> float:
    """``text`` as a finite number ("0.85", " 1e3 "); ``ValueError`` in plain words otherwise:
    "“abc” is not a number", and for a decimal comma ("0,85") to use a decimal point."""
    if isinstance(text, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(text, int | float):
        number = float(text)
    else:
        typed = str(text).strip()
        if _DECIMAL_COMMA.match(typed):
            raise ValueError(
                f"“{typed}”: use a decimal point, not a comma ({typed.replace(',', '.')})"
            )
        try:
            number = float(typed)
        except ValueError:
            raise ValueError(f"“{typed}” is not a number") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


def parse_number(name: str, text: Any) -> float:
    """``text`` as a number for field ``name`` ("193", "193 nm" where the field has a unit);
    ``ValueError`` with the reason in plain words otherwise."""
    try:
        return read_number(text)
    except ValueError as error:
        if name not in _UNITS or _DECIMAL_COMMA.match(str(text)) or not isinstance(text, str):
            raise
        failure = error
    unit, example = _UNITS[name]
    try:
        return parse_quantity(str(text), unit=unit, field=name, example=example)
    except DomainError as error:
        if not re.match(r"^\s*[-+]?(\d|\.\d)", str(text)):
            raise ValueError(
                f"{failure}: write a number, or one with a unit like {example}"
            ) from None
        raise ValueError(plain_rule(getattr(error, "rule", str(error)))) from None


def _choice(spec: FieldSpec, text: Any) -> str:
    wanted = (
        str(text).strip().lower().replace("-", "_")
        if spec.name != "constraint_profile"
        else str(text).strip().lower()
    )
    for choice in spec.choices:
        if choice.lower() == wanted:
            return choice
    known = ", ".join(f"{c} ({value_label(c)})" for c in spec.choices)
    raise ValueError(f"must be one of {known}")


def values_from_query(query: Mapping[str, Any], *, ignore: Sequence[str] = ()) -> Prefill:
    """The form's values from a query string (keys: JobParameters field names), over the
    defaults. The profile is inferred from λ and NA when the link names those but no profile;
    keys in ``ignore`` belong to the page (``job=…``)."""
    values = dict(DEFAULTS)
    extras: dict[str, Any] = {}
    problems: list[str] = []
    for key, text in query.items():
        if key in ignore:
            continue
        if key in SPECS:
            spec = SPECS[key]
            if text is None or str(text).strip() == "":
                values[key] = None
                continue
            try:
                values[key] = parse_number(key, text) if spec.numeric else _choice(spec, text)
            except ValueError as error:
                problems.append(f"{spec.label} ({key}={text!r} in the link) was not used: {error}")
        elif key in JobParameters.model_fields and key not in NOT_PARAMETERS:
            extras[key] = text
        else:
            problems.append(f"{key!r} in the link is not a job parameter and was not used")
    if "constraint_profile" not in query and ({"wavelength_nm", "na"} & set(query)):
        values["constraint_profile"] = _inferred(values) or values["constraint_profile"]
    if values.get("illumination") == "conventional":
        values["sigma_inner"] = None
    return Prefill(values, extras, problems)


def values_from_parameters(parameters: Mapping[str, Any]) -> Prefill:
    """The form's values from a job's parameters (``GET /jobs/{id}``'s ``parameters``, or a
    blocked job's alternative): the form's fields, and every other set parameter as extras."""
    values = dict(DEFAULTS)
    extras: dict[str, Any] = {}
    for key, value in parameters.items():
        if key in SPECS:
            values[key] = value
        elif _worth_carrying(key, value):
            extras[key] = value
    if not parameters.get("constraint_profile"):
        values["constraint_profile"] = _inferred(values) or values["constraint_profile"]
    if values.get("illumination") == "conventional":
        values["sigma_inner"] = None
    return Prefill(values, extras)


def _worth_carrying(key: str, value: Any) -> bool:
    """A parameter beside the form that says something: set, and not its default."""
    if key in NOT_PARAMETERS or key not in JobParameters.model_fields or value is None:
        return False
    return bool(value != JobParameters.model_fields[key].default)


def _inferred(values: Mapping[str, Value]) -> str | None:
    try:
        wavelength = parse_number("wavelength_nm", values.get("wavelength_nm"))
        na = parse_number("na", values.get("na"))
    except ValueError:
        return None
    return infer_profile_name(wavelength, na)


def query_string(parameters: Mapping[str, Any]) -> str:
    """The parameters as a query string of JobParameters field names (scalars only; numbers
    at full precision)."""
    pairs = []
    for key, value in parameters.items():
        if key in NOT_PARAMETERS or key not in JobParameters.model_fields or value is None:
            continue
        if isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif isinstance(value, int | float | str):
            pairs.append((key, str(value)))
    return urlencode(pairs)


def whatif_href(parameters: Mapping[str, Any]) -> str:
    """The what-if page pre-filled with ``parameters`` (what the Optimise page links)."""
    query = query_string(parameters)
    return f"/whatif?{query}" if query else "/whatif"


# --- validation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FormCheck:
    """What the form asks for, checked: the JSON body for predict and submit (None while
    anything is wrong), each form field's message, and messages about parameters the form does
    not show."""

    body: dict[str, Any] | None
    errors: dict[str, str]
    other: list[str]
    profile: str | None

    @property
    def ok(self) -> bool:
        return self.body is not None


def check_form(values: Mapping[str, Value], extras: Mapping[str, Any] | None = None) -> FormCheck:
    """The form checked with the ``JobParameters`` contract and then its constraint profile;
    every broken rule named at its field (all of them, not the first)."""
    errors: dict[str, list[str]] = {}
    raw: dict[str, Any] = {k: v for k, v in (extras or {}).items() if k not in NOT_PARAMETERS}
    for spec in FIELDS:
        value = values.get(spec.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.required:
                errors.setdefault(spec.name, []).append("required")
            continue
        if spec.numeric:
            try:
                raw[spec.name] = parse_number(spec.name, value)
            except ValueError as error:
                errors.setdefault(spec.name, []).append(str(error))
        else:
            raw[spec.name] = value
    if raw.get("illumination") == "conventional":
        raw.pop("sigma_inner", None)  # the field is off for conventional illumination
    other: list[str] = []
    parameters = None
    try:
        parameters = JobParameters.model_validate({**raw, "submitted_by": "web-form"})
    except ValidationError as exc:
        for problem in exc.errors():
            name = _field_of(problem)
            message = plain_rule(str(problem.get("msg", "is not valid")))
            if name in SPECS:
                if name not in errors:  # "required" already says it
                    errors.setdefault(name, []).append(message)
                elif message not in errors[name] and problem.get("type") != "missing":
                    errors[name].append(message)
            else:
                other.append(field_message(name, message) if name else message)
    if parameters is not None and not errors:
        for violation in check_job(parameters):
            if violation.field in SPECS:
                errors.setdefault(violation.field, []).append(plain_rule(violation.rule))
            else:
                other.append(field_message(violation.field, violation.rule))
    profile = (
        parameters.constraint_profile
        if parameters is not None and parameters.constraint_profile
        else _inferred(values)
    )
    joined = {name: _said(name, messages) for name, messages in errors.items()}
    body = None
    if parameters is not None and not joined and not other:
        body = parameters.model_dump(mode="json", exclude_unset=True, exclude={"submitted_by"})
    return FormCheck(body, joined, other, profile)


def _said(name: str, messages: Sequence[str]) -> str:
    """A field's message: its label once, then every rule it breaks ("Target CD (95) must be
    smaller than Pitch (90)" names it already)."""
    label = field_label(name)
    text = "; ".join(messages)
    return text if text.startswith(label) else f"{label}: {text}"


def _field_of(problem: Mapping[str, Any]) -> str:
    """The field a pydantic error is about; a model-level rule names it in its message."""
    location = problem.get("loc") or ()
    if location:
        return str(location[0])
    text = str(problem.get("msg", ""))
    named = [
        (found.start(), name)
        for name in JobParameters.model_fields
        if (found := re.search(rf"\b{name}\b", text))
    ]
    return min(named)[1] if named else ""


# --- the limits beside each field -----------------------------------------------------------


def profile_of(values: Mapping[str, Value]) -> ConstraintProfile | None:
    name = values.get("constraint_profile") or _inferred(values)
    for profile in PROFILES.values():
        if isinstance(name, str) and profile.name.lower() == name.lower():
            return profile
    return None


def _number(values: Mapping[str, Value], name: str) -> float | None:
    try:
        return parse_number(name, values.get(name))
    except ValueError:
        return None


def limit_hints(values: Mapping[str, Value], invalid: Collection[str] = ()) -> dict[str, str]:
    """Per field, the limits that apply to it now: the profile's ranges ("NA 0.85–1.35 for
    ArF immersion") and the physics' rules computed from the other values (the pitch above
    the resolution limit, the grid below λ/(4·NA), the thickness below 3 × CD). A field in
    ``invalid`` (the form check's errors) counts as unknown: no hint shows a number computed
    from a value already marked wrong."""
    values = {k: (None if k in invalid else v) for k, v in values.items()}
    profile = profile_of(values)
    hints = dict.fromkeys(FIELD_NAMES, "")
    wavelength, na = _number(values, "wavelength_nm"), _number(values, "na")
    sigma, cd = _number(values, "sigma"), _number(values, "target_cd_nm")
    pitch = _number(values, "pitch_nm")
    if profile is not None:
        tech, name = profile.technology, value_label(profile.name)
        hints["constraint_profile"] = tech.description
        hints["wavelength_nm"] = f"{tech.wavelength_nm:g} nm for {name}"
        hints["na"] = f"NA {profile.na.low:g}–{profile.na.high:g} for {name}"
        hints["sigma"] = f"σ {profile.sigma.low:g}–{profile.sigma.high:g} for {name}"
        hints["dose_mj_cm2"] = (
            f"{profile.dose_mj_cm2.low:g}–{profile.dose_mj_cm2.high:g} mJ/cm² for {name}"
        )
        hints["focus_nm"] = f"+ into the resist; {name} needs {profile.required_dof_nm:g} nm DoF"
        thickness = profile.resist_thickness_nm
        hints["resist_thickness_nm"] = f"{thickness.low:g}–{thickness.high:g} nm for {name}"
        if cd is not None:
            hints["resist_thickness_nm"] += (
                f", at most {profile.max_aspect_ratio:g} × CD = {profile.max_aspect_ratio * cd:g} nm"
            )
        hints["job_class"] = (
            f"critical: the surrogate is held to {profile.surrogate_critical_accuracy:.1%} "
            f"within tolerance (standard {profile.surrogate_accuracy:.1%})"
        )
    else:
        known = ", ".join(
            f"{value_label(t.name)} {t.wavelength_nm:g} nm" for t in TECHNOLOGIES.values()
        )
        hints["constraint_profile"] = f"no profile fits; known: {known}"
        hints["focus_nm"] = "+ into the resist"
    if values.get("illumination") == "conventional":
        hints["sigma_inner"] = "not used with conventional illumination"
    else:
        hints["sigma_inner"] = "below σ outer" + (f" ({sigma:g})" if sigma is not None else "")
    hints["target_cd_nm"] = "below the pitch" + (f" ({pitch:g} nm)" if pitch is not None else "")
    hints["pitch_nm"] = "above λ/(NA(1+σ))"
    if wavelength and na and sigma is not None and na > 0:
        limit = resolution_limit_pitch_nm(wavelength, na, sigma)
        hints["pitch_nm"] += f" = {limit:.1f} nm"
    hints["grid_size_nm"] = "at most λ/(4·NA)"
    if wavelength and na and na > 0:
        hints["grid_size_nm"] += f" = {wavelength / (4 * na):.2f} nm"
    return hints


# --- the layout -----------------------------------------------------------------------------


def field_id(prefix: str, name: str) -> dict[str, str]:
    return {"type": f"{prefix}-field", "name": name}


def _control(prefix: str, spec: FieldSpec, value: Value) -> Any:
    if spec.choices:
        return dbc.Select(
            id=field_id(prefix, spec.name),
            options=[{"label": value_label(c), "value": c} for c in spec.choices],
            value=value,
        )
    # text, not type="number": the browser hands Dash None for "abc" or "0,85", and the
    # message could only say "required"; parse_number reads it and says what is wrong
    return dbc.Input(
        id=field_id(prefix, spec.name),
        type="text",
        inputmode="decimal",
        value=value,
        debounce=600,  # the prediction follows a pause in typing, not every keystroke
        disabled=spec.name == "sigma_inner" and value is None,
    )


def field_row(prefix: str, spec: FieldSpec, value: Value, hint: str) -> dbc.Col:
    addon = [dbc.InputGroupText(spec.unit)] if spec.unit else []
    return dbc.Col(
        [
            dbc.Label(spec.label, className="small mb-0"),
            dbc.InputGroup(
                [
                    _control(prefix, spec, value),
                    *addon,
                    dbc.FormFeedback(
                        id={"type": f"{prefix}-feedback", "name": spec.name}, type="invalid"
                    ),
                ],
                size="sm",
                class_name="has-validation",
            ),
            html.Small(
                hint,
                id={"type": f"{prefix}-limit", "name": spec.name},
                className="text-muted d-block",
            ),
        ],
        md=6,
        className="mb-2",
    )


def parameter_form(prefix: str, prefill: Prefill) -> html.Div:
    """The form (two columns), the store of the parameters beside it, and what the source
    (the link) held that could not be used."""
    hints = limit_hints(prefill.values, invalid=check_form(prefill.values, prefill.extras).errors)
    extras = html.Small(
        extras_text(prefill.extras), className="text-muted d-block mb-2", id=f"{prefix}-extras-note"
    )
    problems = [
        dbc.Alert(p, color="warning", className="py-1 mb-2 small") for p in prefill.problems
    ]
    return html.Div(
        [
            dcc.Store(id=f"{prefix}-extras", data=dict(prefill.extras)),
            *problems,
            dbc.Row(
                [field_row(prefix, s, prefill.values.get(s.name), hints[s.name]) for s in FIELDS]
            ),
            extras,
            html.Div(id=f"{prefix}-form-note"),
        ]
    )


def extras_text(extras: Mapping[str, Any] | None) -> str:
    """The parameters the form does not show, in words ("" when there are none)."""
    if not extras:
        return ""
    return "Also asked: " + ", ".join(f"{k} = {v}" for k, v in sorted(extras.items()))


# --- callbacks ------------------------------------------------------------------------------


def form_values(ids: Sequence[Mapping[str, str]], values: Sequence[Value]) -> dict[str, Value]:
    """The pattern-matching inputs' values by field name."""
    return {i["name"]: v for i, v in zip(ids, values, strict=True)}


def register_form(app: Dash, prefix: str, *, body_store: str, submit: str | None = None) -> None:
    """The form's callbacks: every change is checked (each field's message and limits, the
    checked body into ``body_store``, ``submit`` disabled while invalid); λ follows the
    chosen profile; σ inner is off for conventional illumination."""
    fields = {"type": f"{prefix}-field", "name": ALL}
    outputs = [
        Output(fields, "invalid"),
        Output({"type": f"{prefix}-feedback", "name": ALL}, "children"),
        Output({"type": f"{prefix}-limit", "name": ALL}, "children"),
        Output(body_store, "data"),
        Output(f"{prefix}-form-note", "children"),
        Output(f"{prefix}-extras-note", "children"),
    ]
    if submit:
        outputs.append(Output(submit, "disabled"))

    @app.callback(
        *outputs,
        Input(fields, "value"),
        Input(f"{prefix}-extras", "data"),
        State(fields, "id"),
    )
    def check(
        values: list[Value], extras: dict[str, Any] | None, ids: list[dict[str, str]]
    ) -> tuple[Any, ...]:
        found = form_values(ids, values)
        result = check_form(found, extras)
        hints = limit_hints(found, invalid=result.errors)
        names = [i["name"] for i in ids]
        note = (
            dbc.Alert("; ".join(result.other), color="danger", className="py-1 small mb-2")
            if result.other
            else None
        )
        answer: tuple[Any, ...] = (
            [n in result.errors for n in names],
            [result.errors.get(n, "") for n in names],
            [hints.get(n, "") for n in names],
            result.body,
            note,
            extras_text(extras),
        )
        return (*answer, not result.ok) if submit else answer

    @app.callback(
        Output(field_id(prefix, "wavelength_nm"), "value"),
        Input(field_id(prefix, "constraint_profile"), "value"),
        State(field_id(prefix, "wavelength_nm"), "value"),
        prevent_initial_call=True,
    )
    def follow_profile(name: str | None, wavelength: Value) -> Value:
        profile = profile_of({"constraint_profile": name})
        return profile.technology.wavelength_nm if profile is not None else wavelength

    @app.callback(
        Output(field_id(prefix, "sigma_inner"), "disabled"),
        Input(field_id(prefix, "illumination"), "value"),
    )
    def inner_sigma_used(illumination: str | None) -> bool:
        return illumination == "conventional"


__all__ = [
    "DEFAULTS",
    "FIELDS",
    "FIELD_NAMES",
    "FieldSpec",
    "FormCheck",
    "Prefill",
    "check_form",
    "extras_text",
    "field_id",
    "form_values",
    "limit_hints",
    "parameter_form",
    "parse_number",
    "query_string",
    "read_number",
    "register_form",
    "values_from_parameters",
    "values_from_query",
    "whatif_href",
]
