"""Bitrix24 (incoming webhook REST). Importing the package registers the adapter."""

from ioperator.adapters.crm.bitrix24.adapter import Bitrix24Adapter

__all__ = ["Bitrix24Adapter"]
