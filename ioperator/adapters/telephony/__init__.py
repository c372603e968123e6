"""Telephony providers. Importing this package registers Telnyx, Twilio and Vonage."""

from ioperator.adapters.telephony import telnyx, twilio, vonage

__all__ = ["telnyx", "twilio", "vonage"]
