"""Telephony pages: the business's numbers and its members' telephony settings."""
