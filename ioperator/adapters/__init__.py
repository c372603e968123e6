"""Adapters to outside systems: one folder per kind, one module per provider (DESIGN.md §3.6)."""
