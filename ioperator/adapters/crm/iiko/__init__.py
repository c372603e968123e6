"""iiko and Syrve: one iikoCloud client (`client.py`), two registered adapters (`adapter.py`)."""

from ioperator.adapters.crm.iiko.adapter import IikoAdapter, SyrveAdapter

__all__ = ["IikoAdapter", "SyrveAdapter"]
