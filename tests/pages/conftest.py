"""Fixtures shared by page tests: the app on the home network, and ``user`` as a logged-in phone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from nicegui import core
from nicegui.testing import User

from app import auth

PHONE = ('192.168.1.50', 50123)
LAN_BASE = 'http://192.168.1.10:8080'
PHONE_PASSWORD = 'correct horse battery'


@pytest.fixture
def lan_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('OUTPUTHUB_LAN', '1')  # before ``user`` starts the app


@pytest.fixture
async def as_phone(lan_mode: None, user: User) -> AsyncIterator[User]:
    """``user``, but every page it opens is requested by a logged-in phone (not allowed restricted)."""
    auth.set_password(PHONE_PASSWORD)
    transport = httpx.ASGITransport(app=core.app, client=PHONE)
    async with httpx.AsyncClient(transport=transport, base_url=LAN_BASE) as phone:
        response = await phone.post('/login', data={'password': PHONE_PASSWORD, 'device': 'Phone'})
        assert response.status_code == 303
        desktop, user.http_client = user.http_client, phone
        yield user
        user.http_client = desktop
