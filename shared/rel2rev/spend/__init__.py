"""Spend: what the workspace paid per channel (and campaign) per month, and what it returned.

`CostLine` is one month's cost of a channel or campaign; `read_cost_file` reads a CSV of them;
`returns_of` sets them against a run's attributed revenue and qualified relationships.
"""

from rel2rev.spend.file import read_cost_file
from rel2rev.spend.lines import CostLine, Month, month_of, months_between
from rel2rev.spend.returns import returns_of

__all__ = ["CostLine", "Month", "month_of", "months_between", "read_cost_file", "returns_of"]
