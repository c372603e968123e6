"""Integration pages (Channels, CRM): shared state, cards and dialogs."""
