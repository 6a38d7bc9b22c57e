"""The trash page (restore, delete forever, empty), the Retention settings tab (preview, then purge, and
its log) and the retention controls on a detail page, through the simulated user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from nicegui import ui
from nicegui.testing import User

from app.data import conversations, entities, outputs
from app.data import db as dbmod
from app.data.models import Category, Conversation, Output, PurgeRun, RetentionPlan, utcnow
from tests.waits import until


@pytest.fixture
def trashed(db_path) -> dict[str, int]:
    dbmod.connect(db_path)
    a = outputs.capture_output(outputs.CaptureData(body='alpha', title='Alpha notes')).id
    b = outputs.capture_output(outputs.CaptureData(body='beta', title='Beta notes')).id
    conv = conversations.create_conversation('Old chat')
    entities.trash('output', [a, b])
    entities.trash('conversation', [conv.id])
    return {'a': a, 'b': b, 'conversation': conv.id}


async def _confirm(user: User) -> None:
    await user.should_see('cannot be undone')
    user.find(marker='confirm').click()


async def test_trash_lists_every_kind_restores_and_deletes_forever(user: User, trashed) -> None:
    await user.open('/trash')
    await user.should_see('Alpha notes')
    await user.should_see('Old chat')
    await user.should_see('All 3')
    await user.should_see('Outputs 2')
    await user.should_see('deleted for good in 29 days')

    user.find(marker=f'restore-output-{trashed["a"]}').click()
    await user.should_see('Restored 1 item')
    assert Output.get_by_id(trashed['a']).deleted_at is None

    user.find(marker=f'delete-conversation-{trashed["conversation"]}').click()
    await _confirm(user)
    await user.should_see('Deleted 1 item forever')
    assert Conversation.get_or_none(Conversation.id == trashed['conversation']) is None

    await user.open('/trash?kind=output')
    await user.should_see('Beta notes')
    user.find(marker='empty-trash').click()
    await _confirm(user)
    await user.should_see('The trash is empty.')
    assert Output.get_or_none(Output.id == trashed['b']) is None


async def test_retention_tab_previews_then_purges_and_logs(user: User, db_path) -> None:
    dbmod.connect(db_path)
    days30 = RetentionPlan.get(RetentionPlan.name == '30 days')
    old = outputs.capture_output(outputs.CaptureData(body='stale', title='Stale draft')).id
    fav = outputs.capture_output(outputs.CaptureData(body='starred', title='Starred', favourite=True)).id
    Output.update(retention=days30.id, updated_at=utcnow() - timedelta(days=40)).where(
        Output.id.in_([old, fav])
    ).execute()

    await user.open('/settings?tab=retention')
    await user.should_see('How retention works')
    user.find(marker='purge-preview').click()
    await user.should_see('1 item would move to the trash: 1 output.')
    await user.should_see('Stale draft')
    await user.should_see('1 expired item stay (favourites or kept).')
    assert Output.get_by_id(old).deleted_at is None  # the preview moved nothing
    user.find(marker='purge-now').click()
    await user.should_see('Moved 1 item to the trash')
    assert Output.get_by_id(old).deleted_at is not None
    assert Output.get_by_id(fav).deleted_at is None
    assert PurgeRun.get().trigger == 'manual'
    await user.should_see('manual · 1 output')


async def test_a_plan_on_a_category_applies_to_its_items(user: User, db_path) -> None:
    dbmod.connect(db_path)
    out = outputs.capture_output(outputs.CaptureData(body='x', title='Scratch idea', category='Scratch')).id
    await user.open('/settings?tab=retention')
    await user.should_see('Set plan')
    scratch = Category.get(Category.name == 'Scratch')
    user.find(marker='plan-target').elements.pop().set_value(f'category:{scratch.id}')
    user.find(marker='plan-choice').elements.pop().set_value(
        RetentionPlan.get(RetentionPlan.name == '90 days').id
    )
    user.find(marker='set-plan').click()
    await user.should_see('category Scratch')

    await user.open(f'/outputs/{out}')
    await user.should_see('90 days (from category Scratch): goes to the trash on')
    switch = user.find(marker='keep-switch').elements.pop()
    assert isinstance(switch, ui.switch)
    switch.set_value(True)
    await user.should_see('never purged while it is marked keep')
    assert Output.get_by_id(out).keep is True


@pytest.mark.parametrize('kind', ['output', 'conversation', 'prompt', 'agent'])
async def test_each_list_has_the_same_trash_view_and_way_back(user: User, trashed, kind: str) -> None:
    await user.open(f'/{kind}s?trashed=1')
    await user.should_see(f'Trash: {kind}s')  # the conversations list once kept its plain title here
    user.find(f'Back to {kind}s').click()  # it once said only "Back"
    await until(lambda: user.back_history[-1] == f'/{kind}s', what=f'the {kind}s list opening')
    await user.should_not_see(f'Trash: {kind}s')
