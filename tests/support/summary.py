"""The run's last line: tests run per layer, and skips grouped by reason (none allowed in CI).

``Tally`` hears every test report (``pytest_runtest_logreport``) and keeps one outcome
per test: skipped if any phase skipped, else failed if any phase failed, else passed.
A layer is the directory right under ``tests/`` (unit, functional, security,
integration, e2e).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest

LAYERS = ("unit", "functional", "security", "integration", "e2e")


def layer_of(nodeid: str) -> str:
    parts = nodeid.split("/")
    if len(parts) > 2 and parts[0] == "tests" and parts[1] in LAYERS:
        return parts[1]
    return "other"


def skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
        return reason.removeprefix("Skipped: ")
    return str(longrepr)


@dataclass(eq=False)  # a plugin: pluggy keeps it in sets, so it hashes by identity
class Tally:
    """What each test came to, by node id."""

    ran: dict[str, str] = field(default_factory=dict)  # nodeid -> "passed" | "failed"
    skipped: dict[str, str] = field(default_factory=dict)  # nodeid -> reason

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        nodeid = report.nodeid
        if report.skipped:
            self.skipped[nodeid] = skip_reason(report)
            self.ran.pop(nodeid, None)
        elif nodeid not in self.skipped:
            failed = report.failed or self.ran.get(nodeid) == "failed"
            self.ran[nodeid] = "failed" if failed else "passed"

    def per_layer(self, outcome: str | None = None) -> Counter[str]:
        return Counter(
            layer_of(nodeid) for nodeid, seen in self.ran.items() if outcome in (None, seen)
        )

    def reasons(self) -> Counter[str]:
        return Counter(self.skipped.values())

    def lines(self) -> list[str]:
        layers, failed = self.per_layer(), self.per_layer("failed")
        shown = [*LAYERS, *(["other"] if layers["other"] else [])]
        ran = ", ".join(
            f"{name} {layers[name]}" + (f" ({failed[name]} failed)" if failed[name] else "")
            for name in shown
        )
        out = [f"ran per layer: {ran}; skipped: {len(self.skipped)}"]
        for reason, count in self.reasons().most_common():
            out.append(f"  skipped {count}: {reason}")
        return out
