"""YCLIENTS and Altegio: one client (`client.py`), two registered adapters (`adapter.py`)."""

from ioperator.adapters.crm.yclients.adapter import AltegioAdapter, YclientsAdapter

__all__ = ["AltegioAdapter", "YclientsAdapter"]
