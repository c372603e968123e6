"""amoCRM / Kommo (API v4). Importing the package registers the adapter."""

from ioperator.adapters.crm.amocrm.adapter import AmoCrmAdapter

__all__ = ["AmoCrmAdapter"]
