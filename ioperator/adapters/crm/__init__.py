"""CRM and booking systems. Importing this package registers every CRM provider."""

from ioperator.adapters.crm import amocrm, bitrix24, dikidi, easyweek, iiko, onec, yclients

__all__ = ["amocrm", "bitrix24", "dikidi", "easyweek", "iiko", "onec", "yclients"]
