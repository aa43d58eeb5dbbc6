"""Evaluation of debate runs: metrics, per-cell results files and reports."""

from evals.frames import RunFrames, load
from evals.metrics import brier_score, expected_calibration_error, wilson_interval
from evals.report import plot_accuracy, results_table, write_report
from evals.results import CellResult, load_results, summarize, write_results

__all__ = [
    "CellResult",
    "RunFrames",
    "brier_score",
    "expected_calibration_error",
    "load",
    "load_results",
    "plot_accuracy",
    "results_table",
    "summarize",
    "wilson_interval",
    "write_report",
    "write_results",
]
