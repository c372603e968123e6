"""Reflex configuration, derived from iOperator's one Settings object."""

import os
import tempfile

import reflex as rx
from reflex_base.plugins.sitemap import SitemapPlugin

from ioperator.core.config import get_settings

settings = get_settings()

if settings.redis_url and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    # Redis means several server workers: each records its metrics into this directory (created once by
    # the `reflex run` process and inherited by its workers) and /metrics adds them up.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ioperator-metrics-")

config = rx.Config(
    app_name="ioperator",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    db_url=settings.effective_database_url,
    redis_url=settings.redis_url or None,
    cors_allowed_origins=settings.effective_cors_origins,
    trusted_proxy_hops=settings.trusted_proxy_hops,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="inherit", accent_color="indigo", gray_color="slate", radius="medium")
        )
    ],
    disable_plugins=[SitemapPlugin],
)
