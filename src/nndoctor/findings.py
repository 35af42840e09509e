"""A finding: one thing nndoctor says about a run (see ../shared/TAXONOMY.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

Severity = Literal["error", "warning", "info"]
Kind = Literal["cause", "symptom"]
Evidence = Mapping[str, str | int | float | bool | None | list | dict]

SEVERITY_RANK: Mapping[str, int] = {"error": 2, "warning": 1, "info": 0}


def number(value: float, digits: int = 4) -> str:
    """A number as a person reads it: `digits` significant digits, and 0 never as '-0'."""
    text = f"{value:.{digits}g}"
    return "0" if text == "-0" else text


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 step', '2 steps', '1 example', '0 examples'."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


@dataclass(frozen=True)
class Location:
    """Where in the user's code a part was built or a call was made."""

    file: str
    line: int


@dataclass(frozen=True)
class Trial:
    """A fix tried on a copy: the same metric before and after, and what that showed."""

    steps: int
    metric: str
    before: float
    after: float
    verdict: str = ""  # "fixed", "did not help" or "inconclusive" (nndoctor.verdict)


@dataclass(frozen=True)
class Finding:
    """What a rule concluded, with the numbers that made it conclude so."""

    id: str
    kind: Kind
    severity: Severity
    confidence: float
    title: str
    where: str
    evidence: Evidence
    fix: str
    explains: tuple[str, ...] = ()
    location: Location | None = None
    validated: bool | None = None
    trial: Trial | None = None
    details: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_problem(self) -> bool:
        return self.severity in ("error", "warning")

    def with_explains(self, explains: tuple[str, ...]) -> Finding:
        return replace(self, explains=explains)


def internal_error(where: str, error: BaseException | str) -> Finding:
    """A part of nndoctor failed; the user's training went on.

    nndoctor's own code (a hook, a probe, a rule) raised an error. It was
    caught, the training continued untouched, and this finding stands in for
    the part of the diagnosis that is missing. Its evidence holds the error
    text. Nothing to change in your code; please report it with that text.
    """
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return Finding(
        id="internal-error",
        kind="symptom",
        severity="info",
        confidence=1.0,
        title=f"nndoctor could not complete '{where}'; this part of the diagnosis is missing",
        where=where,
        evidence={"error": text},
        fix="Nothing to change in your code. Please report this with the error text.",
    )
