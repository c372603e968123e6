"""Messaging channels. Importing this package registers every channel provider."""

from ioperator.adapters.channels import instagram, telegram, whatsapp

__all__ = ["instagram", "telegram", "whatsapp"]
