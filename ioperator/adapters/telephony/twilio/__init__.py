"""Twilio: the adapter (`adapter.py`), the SDK client and its errors (`client.py`) and how owned numbers are
read (`parse.py`). `twilio` inside this package is the SDK: every import here is absolute."""

from ioperator.adapters.telephony.twilio.adapter import TwilioAdapter

__all__ = ["TwilioAdapter"]
