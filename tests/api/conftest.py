"""The FastAPI app through an ASGI client, sharing the test's rolled-back database session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from ioperator.api import build_api
from ioperator.api.deps import db_session, loop_db_session
from ioperator.core.observability import ObservabilityMiddleware
from tests.factories import PASSWORD


@pytest.fixture
def client(db: Session) -> Iterator[TestClient]:
    api = build_api()

    def _test_session() -> Iterator[Session]:
        yield db
        db.flush()

    async def _test_loop_session() -> AsyncIterator[Session]:
        yield db
        db.flush()

    api.dependency_overrides[db_session] = _test_session
    api.dependency_overrides[loop_db_session] = _test_loop_session
    with TestClient(ObservabilityMiddleware(api), base_url="http://localhost:3000") as test_client:
        yield test_client


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> TestClient:
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 204, response.text
    return client


def new_client(client: TestClient) -> TestClient:
    """A second browser: same app, its own cookie jar."""
    return TestClient(client.app, base_url="http://localhost:3000")
