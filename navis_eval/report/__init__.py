"""Reports people act on: the run report, the trend over releases, and the release gate.

Importing this package is cheap; matplotlib and numpy load only when a plot or a bootstrap runs.
"""

from __future__ import annotations

from navis_eval.report.run_report import write_run_report

__all__ = ["write_run_report"]
