"""report.json, schema version 1 (../shared/DESIGN.md; pinned by schema.json)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from importlib import resources
from typing import Any

from nndoctor import __version__

SCHEMA_VERSION = 1


def to_json(report: Any) -> dict[str, Any]:
    findings = []
    for f in report.findings:
        item: dict[str, Any] = {
            "id": f.id,
            "kind": f.kind,
            "severity": f.severity,
            "confidence": round(f.confidence, 3),
            "title": f.title,
            "where": f.where,
            "evidence": _finite(dict(f.evidence)),
            "fix": f.fix,
            "explains": list(f.explains),
            "validated": f.validated,
        }
        if f.location is not None and f.location.line >= 1:  # schema: lines count from 1
            item["location"] = asdict(f.location)
        if f.trial is not None:
            trial = _finite(asdict(f.trial))  # a diverged copy reads "nan"
            item["trial"] = {k: v for k, v in trial.items() if k != "verdict" or v}
        findings.append(item)
    return {
        "schema": SCHEMA_VERSION,
        "nndoctor": __version__,
        "framework": report.framework,
        "healthy": report.healthy,
        "summary": report.summary,
        "findings": findings,
        "experiments": [_finite(asdict(e)) for e in report.experiments],
        "series": _finite(report.series),
    }


def dumps(report: Any) -> str:
    return json.dumps(to_json(report), indent=2, allow_nan=False)


def schema() -> dict[str, Any]:
    text = resources.files("nndoctor.report").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)


def _finite(value: Any) -> Any:
    """JSON has no NaN/Inf: write them as strings so every report parses everywhere."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
