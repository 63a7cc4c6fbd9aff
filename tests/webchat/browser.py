"""Debian's Chromium under Playwright (Playwright's own browser download cannot work here).
Outside CI a missing browser or Playwright skips with the reason; with CI=true it fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).with_name("axe-4.14.1.min.js")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def chromium_path() -> str:
    path = os.environ.get("KE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        reason = "Chromium is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"{reason}, and CI=true requires it", pytrace=False)
        pytest.skip(reason)
    return path


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe on the page as it is now (axe is injected by `add_init_script`, outside the CSP)."""
    result: dict[str, Any] = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return {violations: r.violations.map(v => ({id: v.id, impact: v.impact,
              nodes: v.nodes.map(n => n.target.join(' ') + ' ' + n.failureSummary)}))};
        }""",
        AXE_TAGS,
    )
    return list(result["violations"])


def assert_accessible(page: Any, where: str) -> None:
    """axe finds nothing on the page as it is now; `where` names the page in the failure."""
    violations = axe_violations(page)
    assert violations == [], f"{where}: {violations}"
