"""Business logic, one module per domain. Pages and API routes both call these functions."""
