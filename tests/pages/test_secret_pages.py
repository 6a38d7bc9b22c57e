"""Secret (restricted) items: a badge wherever they are listed or shown on the desktop, and invisible to a
LAN device that is not allowed to see them (lists, detail pages, home, tag pages, search), exactly as
the API hides them from tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from nicegui import core
from nicegui.testing import User

from app import auth
from app.data import access, conversations, entities, outputs, relations
from app.data import db as dbmod
from app.data.models import SensitivityLevel, Tag

PHONE = ('192.168.1.50', 50123)
BASE = 'http://192.168.1.10:8080'
PASSWORD = 'correct horse battery'


@pytest.fixture
def library(db_path) -> dict[str, int]:
    dbmod.connect(db_path)
    secret = SensitivityLevel.get(SensitivityLevel.name == 'Secret').id
    hidden = outputs.capture_output(
        outputs.CaptureData(
            body='launch codes 0000', title='Launch codes', tags=['ops'], sensitivity_id=secret
        )
    )
    shown = outputs.capture_output(
        outputs.CaptureData(body='a public recipe', title='Bread recipe', tags=['ops'])
    )
    relations.link_outputs(shown.id, hidden.id)
    conv = conversations.create_conversation('Private chat about the merger')
    conversations.add_message(conv, 'user', 'merger details')
    entities.update_item('conversation', conv.id, sensitivity=secret)
    return {'hidden': hidden.id, 'shown': shown.id, 'conversation': conv.id}


async def test_secret_items_carry_a_badge_in_lists_and_on_their_page(user: User, library) -> None:
    await user.open('/outputs')
    await user.should_see('Launch codes')
    rows = [e for e in user.find('Launch codes').elements if 'oh-secret' in (e.props.get('innerHTML') or '')]
    assert rows, 'the list row of a Secret output has a badge'
    bread = [
        e for e in user.find('Bread recipe').elements if 'Bread recipe' in (e.props.get('innerHTML') or '')
    ]
    assert bread and 'oh-secret' not in bread[0].props['innerHTML']

    await user.open(f'/outputs/{library["hidden"]}')
    await user.should_see('launch codes 0000')
    badges = [e for e in user.find('Secret').elements if 'oh-secret' in e.classes]
    assert badges

    await user.open(f'/conversations/{library["conversation"]}')
    await user.should_see('merger details')
    assert [e for e in user.find('Secret').elements if 'oh-secret' in e.classes]

    await user.open('/')
    await user.should_see('Launch codes')
    assert [e for e in user.find('Secret').elements if 'oh-secret' in e.classes]


async def test_search_results_carry_the_badge(user: User, library) -> None:
    await user.open('/search?q=launch&mode=keyword')
    await user.should_see('best first')  # the results are there
    html = ''.join(e.props.get('innerHTML') or '' for e in user.find('Launch').elements)
    assert 'oh-secret' in html


# --------------------------------------------------------------------------- a phone on the LAN


@pytest.fixture
def lan_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('OUTPUTHUB_LAN', '1')


@pytest.fixture
async def phone(lan_mode, user: User, library) -> AsyncIterator[httpx.AsyncClient]:
    """A logged-in phone (not allowed to see Secret items) talking to the app the ``user`` fixture runs."""
    auth.set_password(PASSWORD)
    transport = httpx.ASGITransport(app=core.app, client=PHONE)
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE, headers={'Accept': 'text/html'}
    ) as client:
        response = await client.post('/login', data={'password': PASSWORD, 'device': 'Phone'})
        assert response.status_code == 303
        yield client


async def _page(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, path
    return response.text


async def test_a_phone_without_permission_never_sees_secret_items(phone: httpx.AsyncClient, library) -> None:
    listing = await _page(phone, '/outputs')
    assert 'Bread recipe' in listing and 'Launch codes' not in listing
    detail = await _page(phone, f'/outputs/{library["hidden"]}')
    assert 'does not exist' in detail and 'launch codes 0000' not in detail
    plain = await _page(phone, f'/outputs/{library["shown"]}')  # related to the Secret one
    assert 'a public recipe' in plain and 'Launch codes' not in plain
    conv = await _page(phone, f'/conversations/{library["conversation"]}')
    assert 'does not exist' in conv and 'merger' not in conv
    assert 'merger' not in await _page(phone, '/conversations')
    assert 'Launch codes' not in await _page(phone, '/')
    tag_page = await _page(phone, f'/tags/{Tag.get(Tag.name == "ops").id}')
    assert 'Bread recipe' in tag_page and 'Launch codes' not in tag_page
    assert 'Holds 1 output,' in tag_page  # the Secret one is not counted either

    # the desktop's permission can be given to the phone
    access.set_device_restricted(access.list_devices()[0].id, True)
    assert 'Launch codes' in await _page(phone, '/outputs')
    assert 'launch codes 0000' in await _page(phone, f'/outputs/{library["hidden"]}')


async def test_the_desktop_counts_secret_items_on_a_tag_page(user: User, library) -> None:
    await user.open(f'/tags/{Tag.get(Tag.name == "ops").id}')
    await user.should_see('Holds 2 outputs,')


def test_version_search_for_a_device_leaves_secret_prompts_and_agents_out(library) -> None:
    """What the prompt/agent version picker on an output offers a phone without permission."""
    from app.data import agents, prompts

    secret = SensitivityLevel.get(SensitivityLevel.name == 'Secret').id
    hidden_prompt = prompts.create_prompt('Salary negotiation script', 'Ask for {{amount}}')
    entities.update_item('prompt', hidden_prompt.id, sensitivity=secret)
    prompts.create_prompt('Salary survey summary', 'Summarise the survey')
    hidden_agent = agents.create_agent('Salary coach', system_prompt='You coach salary talks.')
    entities.update_item('agent', hidden_agent.id, sensitivity=secret)
    agents.create_agent('Salary analyst', system_prompt='You analyse pay data.')

    everyone = {v.prompt.title for v in prompts.search_versions('salary')}
    assert everyone == {'Salary negotiation script', 'Salary survey summary'}
    phone = {v.prompt.title for v in prompts.search_versions('salary', exclude_restricted=True)}
    assert phone == {'Salary survey summary'}
    assert {v.agent.name for v in agents.search_versions('salary', exclude_restricted=True)} == {
        'Salary analyst'
    }
    assert len(agents.search_versions('salary')) == 2


async def test_chat_and_capture_offer_a_phone_no_secret_agents(phone: httpx.AsyncClient, library) -> None:
    from app.data import agents

    secret = SensitivityLevel.get(SensitivityLevel.name == 'Secret').id
    hidden = agents.create_agent('Merger negotiator', system_prompt='You negotiate the merger.')
    entities.update_item('agent', hidden.id, sensitivity=secret)
    agents.create_agent('Travel planner', system_prompt='You plan trips.')
    page = await _page(phone, '/chat')
    assert 'Travel planner' in page and 'Merger negotiator' not in page
    capture = await _page(phone, '/capture')  # the capture form's agent choices
    assert 'Travel planner' in capture and 'Merger negotiator' not in capture
    filtered = await _page(phone, f'/outputs?agents={hidden.id}')  # a crafted filter chip
    assert 'Merger negotiator' not in filtered and f'Agent: #{hidden.id}' in filtered
    access.set_device_restricted(access.list_devices()[0].id, True)
    assert 'Merger negotiator' in await _page(phone, '/chat')


def test_the_graph_a_phone_gets_leaves_secret_items_out(library) -> None:
    """The graph page and the connections panel pass their graph through ``graph_for_viewer`` (the page
    itself loads after the browser connects, so this checks the filter on the real graph data)."""
    from app.components.secret import drop_restricted, graph_for_viewer
    from app.data import graph
    from app.errors import NotFound

    full = graph.most_connected()
    labels = {n.label for n in full.nodes}
    assert {'Launch codes', 'Bread recipe'} <= labels
    shown = graph_for_viewer(full, hide=True)
    assert 'Launch codes' not in {n.label for n in shown.nodes} and 'Bread recipe' in {
        n.label for n in shown.nodes
    }
    hidden_key = f'output:{library["hidden"]}'
    assert all(hidden_key not in (e.source, e.target) for e in shown.edges)
    assert graph_for_viewer(full, hide=False) is full
    with pytest.raises(NotFound):
        graph_for_viewer(graph.neighbourhood('output', library['hidden']), hide=True)
    found = graph.find_items('o', limit=10)
    assert 'Launch codes' in {f.label for f in found}
    assert 'Launch codes' not in {f.label for f in drop_restricted(found, hide=True)}


def test_the_dashboard_a_phone_gets_names_no_secret_prompt_or_agent(db) -> None:
    from app.components.secret import dashboard_for_viewer
    from app.data import agents, dashboard, prompts

    secret = SensitivityLevel.get(SensitivityLevel.name == 'Secret').id
    hidden_prompt = prompts.create_prompt('Merger memo prompt', 'Draft the memo')
    plain_prompt = prompts.create_prompt('Recipe prompt', 'Write a recipe')
    hidden_agent = agents.create_agent('Merger agent', 'be discreet')
    entities.update_item('prompt', hidden_prompt.id, sensitivity=secret)
    entities.update_item('agent', hidden_agent.id, sensitivity=secret)
    for p in (hidden_prompt, plain_prompt):
        outputs.capture_output(
            outputs.CaptureData(body=f'made by {p.title}', prompt_version_id=p.current_version_id, rating=4)
        )
    outputs.capture_output(outputs.CaptureData(body='by the agent', agent_id=hidden_agent.id))
    dashboard.rebuild_stats()

    full = dashboard.dashboard()
    assert {'Merger memo prompt · v1', 'Recipe prompt · v1'} <= {r.label for r in full.ratings}
    assert 'Merger agent' in {a.label for a in full.agents}
    shown = dashboard_for_viewer(full, hide=True)
    assert [r.label for r in shown.ratings] == ['Recipe prompt · v1']
    assert 'Merger agent' not in {a.label for a in shown.agents}
    assert dashboard_for_viewer(full, hide=False) is full
