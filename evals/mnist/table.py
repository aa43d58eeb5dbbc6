"""The MNIST results as a rich table for the terminal (the report has the Markdown one)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from evals.mnist.config import MnistDebateConfig
from evals.mnist.report import search_text, table_rows


def results_table(rows: list[dict[str, Any]], config: MnistDebateConfig) -> Table:
    columns = sorted(config.pixel_counts)
    searches = config.searches()
    caption = f"headline rows: {search_text(config.pool)}"
    if "paper" in searches:
        caption += f"; rows marked paper's search: {search_text(searches['paper'])}"
    table = Table(title=config.name, caption=caption + "; paper figures on the rows it reports")
    table.add_column("cell")
    for k in columns:
        table.add_column(f"{k} px", justify="right")
        table.add_column(f"{k} px paper", justify="right")
    for label, by_pixels in table_rows(rows, config).items():
        values = []
        for k in columns:
            row = by_pixels.get(k)
            if row is None or not row["n"]:
                values += ["—", "—"]
                continue
            values.append(
                f"{100 * row['accuracy']:.1f}% [{100 * row['ci_low']:.1f}, "
                f"{100 * row['ci_high']:.1f}] n={row['n']}"
            )
            values.append("—" if row["paper"] is None else f"{row['paper']:.1f}%")
        table.add_row(label, *values)
    return table
