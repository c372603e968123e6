"""Start the production build of iOperator in a subprocess (used by the e2e tests and bench/)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
E2E_KEY = "kV3b2dC0Qy5f6j9Zt8nR1mA4sW7xE0uH2gL5pK8oI3c="
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass
class RunningApp:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("Chromium is not installed: run `make test`, which installs it, or set CHROMIUM_PATH.")


def app_env(
    *, port: int, data_dir: Path, database_url: str, redis_url: str = "", extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IOPERATOR_", "REFLEX_"))}
    bin_dir = str(Path(sys.executable).parent)
    env.update(
        {
            "PATH": bin_dir + os.pathsep + env.get("PATH", ""),
            "REFLEX_USE_NPM": "1",
            "REFLEX_TELEMETRY_ENABLED": "false",
            "REFLEX_CHECK_LATEST_VERSION": "false",
            "IOPERATOR_ENV": "development",
            "IOPERATOR_DATA_DIR": str(data_dir),
            "IOPERATOR_DATABASE_URL": database_url,
            "IOPERATOR_SECRET_KEYS": E2E_KEY,
            "IOPERATOR_PUBLIC_BASE_URL": f"http://localhost:{port}",
            "IOPERATOR_LOG_JSON": "true",
        }
    )
    env.update(extra or {})
    if redis_url:
        env["IOPERATOR_REDIS_URL"] = redis_url
        env.setdefault("GRANIAN_WORKERS", "2")
    else:
        env["REFLEX_STATE_MANAGER_MODE"] = "memory"
    if "NPM_CONFIG_REGISTRY" not in env:
        npm = shutil.which("npm", path=env["PATH"])
        if npm:
            registry = subprocess.run([npm, "config", "get", "registry"], capture_output=True, text=True, env=env)
            if registry.returncode == 0 and registry.stdout.strip():
                env["NPM_CONFIG_REGISTRY"] = registry.stdout.strip()
    return env


@contextlib.contextmanager
def running_app(
    *,
    database_url: str | None = None,
    redis_url: str = "",
    log_dir: Path | None = None,
    timeout: float = 300,
    extra_env: dict[str, str] | None = None,
) -> Iterator[RunningApp]:
    """Migrate a database, start `reflex run --env prod` on a free port, yield once it answers."""
    work = Path(tempfile.mkdtemp(prefix="ioperator-app-"))
    port = free_port()
    database_url = database_url or f"sqlite:///{work / 'app.db'}"
    env = app_env(port=port, data_dir=work / "data", database_url=database_url, redis_url=redis_url, extra=extra_env)
    subprocess.run([sys.executable, "-m", "ioperator", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    log_path = (log_dir or work) / "server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod", "--frontend-port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://localhost:{port}"
    try:
        _wait_until_up(url, process, log_path, timeout)
        yield RunningApp(url=url, database_url=database_url, process=process, log_path=log_path, env=env)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            if (
                httpx.get(url + "/api/health", timeout=2).status_code == 200
                and httpx.get(url + "/login", timeout=2, follow_redirects=True).status_code == 200
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the app did not answer within {timeout:.0f} s:\n{log_path.read_text()[-4000:]}")
