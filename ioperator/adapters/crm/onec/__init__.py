"""1C:Enterprise over the standard OData interface: settings (`config.py`) and the adapter (`adapter.py`)."""

from ioperator.adapters.crm.onec.adapter import NOT_STANDARD, OneCAdapter

__all__ = ["NOT_STANDARD", "OneCAdapter"]
