"""The agents list and the agent page through the simulated user: settings, edits as versions, settings
diff, restore, provenance and trash."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from app.data import agents, entities, outputs
from app.data import db as dbmod
from app.data.models import Agent


@pytest.fixture
def reviewer(db_path):
    dbmod.connect(db_path)
    a = agents.create_agent(
        'Code reviewer', 'You review Python code.', model='gpt-4o', temperature=0.2, params={'seed': 7}
    )
    v2 = agents.new_version(
        a.id, system_prompt='You review Python code strictly.', model='gpt-4o-mini', note='stricter'
    )
    outputs.capture_output(
        outputs.CaptureData(body='Looks fine.', agent_version_id=a.current_version_id, rating=3)
    )
    outputs.capture_output(
        outputs.CaptureData(body='Rename this variable.', agent_version_id=v2.id, rating=5)
    )
    return a


async def see(user: User, target: str | None = None, **kwargs) -> None:
    """should_see with patience: after a click the page reloads data in a worker thread (slow on a busy CI)."""
    await user.should_see(target, retries=50, **kwargs)


async def test_agents_list_and_new_agent(user: User, reviewer) -> None:
    await user.open('/agents')
    await see(user, 'Code reviewer')
    user.find(marker='new-agent').click()
    await see(user, marker='new-agent-name')
    user.find(marker='new-agent-name').elements.pop().set_value('Translator')
    user.find(marker='agent-system-prompt').elements.pop().set_value('Translate into French.')
    user.find(marker='agent-model').elements.pop().set_value('claude-haiku-4-5')
    user.find(marker='agent-temperature').elements.pop().set_value(0.5)
    user.find(marker='create-agent').click()
    await see(user, 'Version 1 of 1 (current)')
    agent = Agent.get(Agent.name == 'Translator')
    v = agents.current_version(agent.id)
    assert (v.system_prompt, v.model.name, v.temperature) == (
        'Translate into French.',
        'claude-haiku-4-5',
        0.5,
    )


async def test_agent_page_shows_settings_history_and_settings_diff(user: User, reviewer) -> None:
    await user.open(f'/agents/{reviewer.id}')
    await see(user, 'Code reviewer')
    await see(user, 'Version 2 of 2 (current)')
    await see(user, 'stricter')
    await see(user, 'params.seed')
    await see(user, '1 output · avg ★ 5.0 (1 rated)')
    # compare: the model changed (both names shown), the system prompt diff marks the added word
    await see(user, 'GPT-4o mini')
    new = user.find(marker='diff-new').elements.pop()
    assert '>strictly</ins>' in new.content or '> strictly</ins>' in new.content
    await see(user, 'Looks fine.')
    await see(user, 'Rename this variable.')
    assert entities.get_item('agent', reviewer.id).last_viewed_at is not None


async def test_editing_an_agent_saves_a_new_version(user: User, reviewer) -> None:
    await user.open(f'/agents/{reviewer.id}')
    user.find(marker='edit-agent').click()
    await see(user, marker='agent-params')
    user.find(marker='agent-temperature').elements.pop().set_value(0.9)
    user.find(marker='agent-params').elements.pop().set_value('{"seed": 8}')
    user.find(marker='edit-note').elements.pop().set_value('warmer')
    user.find(marker='save-version').click()
    await see(user, 'Saved as v3')
    await see(user, 'Version 3 of 3 (current)')
    v3 = agents.current_version(reviewer.id)
    assert (v3.temperature, v3.params, v3.note, v3.model.name) == (0.9, {'seed': 8}, 'warmer', 'gpt-4o-mini')
    assert v3.system_prompt == 'You review Python code strictly.'


async def test_bad_parameters_get_a_message_and_no_version(user: User, reviewer) -> None:
    await user.open(f'/agents/{reviewer.id}')
    user.find(marker='edit-agent').click()
    await see(user, marker='agent-params')
    user.find(marker='agent-params').elements.pop().set_value('{"seed": ')
    user.find(marker='save-version').click()
    await see(user, 'Extra parameters are not valid JSON')
    user.find(marker='agent-params').elements.pop().set_value('[1, 2]')
    user.find(marker='save-version').click()
    await see(user, 'must be a JSON object')
    assert len(agents.versions(reviewer.id)) == 2


async def test_restore_an_agent_version_from_the_url(user: User, reviewer) -> None:
    await user.open(f'/agents/{reviewer.id}?v=1')
    await see(user, 'You are looking at v1; the current version is v2.')
    user.find(marker='banner-restore').click()
    await see(user, 'Restored v1 as v3')
    v3 = agents.current_version(reviewer.id)
    assert (v3.number, v3.model.name, v3.system_prompt) == (3, 'gpt-4o', 'You review Python code.')


async def test_rename_and_trash_with_undo(user: User, reviewer) -> None:
    await user.open(f'/agents/{reviewer.id}')
    user.find(marker='agent-name').elements.pop().set_value('Strict reviewer')
    user.find(marker='agent-name').trigger('blur')
    await see(user, 'Name saved')
    assert Agent.get_by_id(reviewer.id).name == 'Strict reviewer' and len(agents.versions(reviewer.id)) == 2
    user.find(marker='delete-agent').click()
    await see(user, 'This agent is in the trash')
    user.find('Undo').click()
    await see(user, 'Restored from the trash')
    assert Agent.get_by_id(reviewer.id).deleted_at is None


async def test_missing_agent_says_so(user: User, db_path) -> None:
    dbmod.connect(db_path)
    await user.open('/agents/42')
    await see(user, 'Agent 42 does not exist.')
