"""Retention: the effective plan (item, else category, else the longest collection plan), the preview,
the purge into the trash (favourites and kept items never), and its log."""

from __future__ import annotations

from datetime import timedelta

from app.data import entities, lookups, outputs, relations, retention
from app.data.models import Output, PurgeRun, RetentionPlan, utcnow


def plan(name: str) -> RetentionPlan:
    return RetentionPlan.get(RetentionPlan.name == name)


def _output(title: str, age_days: float = 0, **fields) -> int:
    o = outputs.capture_output(outputs.CaptureData(body=f'{title} text', title=title))
    when = utcnow() - timedelta(days=age_days)
    Output.update(updated_at=when, created_at=when, **fields).where(Output.id == o.id).execute()
    return o.id


def test_the_item_plan_wins_then_category_then_the_longest_collection_plan(db) -> None:
    days30, days90, forever = plan('30 days'), plan('90 days'), plan('Keep forever')
    cat = lookups.get_or_create('category', 'Drafts')
    lookups.update_fields('category', cat.id, retention=days90.id)
    short = lookups.get_or_create('collection', 'Scratch')
    long = lookups.get_or_create('collection', 'Archive')
    lookups.update_fields('collection', short.id, retention=days30.id)
    lookups.update_fields('collection', long.id, retention=plan('1 year').id)

    own = _output('own plan', retention=forever.id, category=cat.id)
    by_cat = _output('category plan', category=cat.id)
    by_cols = _output('collections')
    relations.set_collections('output', by_cols, [short.id, long.id])
    none = _output('no plan')

    plans = retention.effective_plans('output', [own, by_cat, by_cols, none])
    assert (plans[own].plan, plans[own].via) == ('Keep forever', 'item')
    assert (plans[by_cat].plan, plans[by_cat].via, plans[by_cat].via_name) == (
        '90 days',
        'category',
        'Drafts',
    )
    assert (plans[by_cols].plan, plans[by_cols].via, plans[by_cols].via_name) == (
        '1 year',
        'collection',
        'Archive',
    )
    assert plans[none] is None
    # Keep forever on any collection beats every number of days
    lookups.update_fields('collection', short.id, retention=forever.id)
    assert retention.effective_plan('output', by_cols).days is None


def test_preview_then_purge_moves_expired_items_to_the_trash_and_logs_it(db) -> None:
    days30 = plan('30 days')
    expired = _output('expired', 31, retention=days30.id)
    fresh = _output('fresh', 5, retention=days30.id)
    fav = _output('favourite', 60, retention=days30.id, favourite=True)
    kept = _output('kept', 60, retention=days30.id, keep=True)
    forever = _output('forever', 900, retention=plan('Keep forever').id)
    no_plan = _output('no plan', 900)

    p = retention.preview()
    assert [c.title for c in p.items] == ['expired']
    assert sorted(c.title for c in p.exempt) == ['favourite', 'kept']
    assert p.by_kind()['output'] == 1 and p.by_plan() == {'30 days': 1}
    assert Output.get_by_id(expired).deleted_at is None  # a preview changes nothing
    assert PurgeRun.select().count() == 0

    result = retention.purge(trigger='manual')
    assert result.moved == 1 and result.by_kind['output'] == 1
    assert Output.get_by_id(expired).deleted_at is not None
    for item in (fresh, fav, kept, forever, no_plan):
        assert Output.get_by_id(item).deleted_at is None
    run = PurgeRun.get_by_id(result.run_id)
    assert run.trigger == 'manual' and run.item_count == 1
    assert run.details['items'][0]['title'] == 'expired' and run.details['exempt'] == 2
    # nothing more to do: the next run moves nothing and says so
    assert retention.purge(trigger='schedule').moved == 0
    assert [r.trigger for r in retention.recent_runs()] == ['schedule', 'manual']


def test_purge_only_moves_what_the_user_saw_and_what_is_still_expired(db) -> None:
    days30 = plan('30 days')
    a = _output('a', 40, retention=days30.id)
    b = _output('b', 40, retention=days30.id)
    c = _output('c', 40, retention=days30.id)
    seen = retention.preview().keys()
    assert seen == {('output', a), ('output', b), ('output', c)}
    entities.update_item('output', b, favourite=True)  # starred after the preview
    entities.update_item('output', c, title='c, edited')  # edited: it counts as changed today
    d = _output('d', 40, retention=days30.id)  # appeared after the preview

    result = retention.purge(only=seen)
    assert result.moved == 1
    assert Output.get_by_id(a).deleted_at is not None
    assert all(Output.get_by_id(i).deleted_at is None for i in (b, c, d))


def test_a_trashed_item_is_not_purged_again_and_conversations_count_too(db) -> None:
    from app.data import conversations

    days30 = plan('30 days')
    conv = conversations.create_conversation('old chat')
    conversations.add_message(conv, 'user', 'hello')
    old = utcnow() - timedelta(days=45)
    conv.__class__.update(retention=days30.id, updated_at=old).where(conv.__class__.id == conv.id).execute()
    gone = _output('already trashed', 60, retention=days30.id)
    entities.trash('output', [gone])

    p = retention.preview()
    assert [(c.kind, c.title) for c in p.items] == [('conversation', 'old chat')]
    assert retention.purge().by_kind == {'output': 0, 'conversation': 1, 'prompt': 0, 'agent': 0}


def test_auto_purge_setting_round_trips(db) -> None:
    assert retention.settings()['auto_purge'] is True
    retention.set_auto_purge(False)
    assert retention.settings()['auto_purge'] is False
