"""EasyWeek: the adapter (`adapter.py`) and how its answers are read (`parse.py`)."""

from ioperator.adapters.crm.easyweek.adapter import EasyWeekAdapter

__all__ = ["EasyWeekAdapter"]
