"""Vonage: the adapter (`adapter.py`), its config (`config.py`), the SDK client and its errors
(`client.py`) and how Vonage's answers are read (`parse.py`).

The modules import the SDK as `vonage` with absolute imports, which resolve to the installed package,
never to this one (`ioperator.adapters.telephony.vonage`)."""

from ioperator.adapters.telephony.vonage.adapter import VonageAdapter

__all__ = ["VonageAdapter"]
