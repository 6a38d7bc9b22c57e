"""Settings → Phone & devices says that offline capture on the phone needs --https (a service worker needs a
secure context) instead of the phone failing quietly."""

from __future__ import annotations

import pytest
from nicegui.testing import User


@pytest.fixture
def lan_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('OUTPUTHUB_LAN', '1')


async def test_on_the_lan_over_http_the_devices_tab_says_offline_capture_needs_https(
    lan_mode, user: User
) -> None:
    await user.open('/settings?tab=devices')
    await user.should_see(marker='needs-https')
    await user.should_see('Offline capture needs HTTPS: start with --https')
