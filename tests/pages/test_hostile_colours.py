"""A lookup's colour goes into style attributes, so only hex colours are accepted, and one stored before
that rule (or by hand) is never written into a page: ``red; background:url(https://evil…)`` would make the
browser fetch from another host."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from app.data import db as dbmod
from app.data import lookups, outputs
from app.data.models import Tag
from app.errors import ValidationError

HOSTILE = 'red; background-image: url(https://evil.example.com/x.png)'


def test_only_hex_colours_are_stored(db) -> None:
    tag = lookups.get_or_create('tag', 'painted')
    for bad in (HOSTILE, 'url(x)', '#12345', 'expression(alert(1))', '#abc;x:y'):
        with pytest.raises(ValidationError, match='hex value'):
            lookups.recolor('tag', tag.id, bad)
    for good in ('#abc', '#3b82f6', '#3B82F6CC'):
        assert lookups.recolor('tag', tag.id, good).color == good
    assert lookups.recolor('tag', tag.id, None).color is None


async def test_a_stored_hostile_colour_never_reaches_a_style(user: User, db_path) -> None:
    dbmod.connect(db_path)
    out = outputs.capture_output(outputs.CaptureData(body='painted body', title='Painted', tags=['painted']))
    Tag.update(color=HOSTILE).where(Tag.name == 'painted').execute()  # written before colours were checked
    tag = lookups.find_by_name('tag', 'painted')
    for path in (f'/outputs/{out.id}', f'/tags/{tag.id}', '/tags', '/outputs'):
        await user.open(path)
        await user.should_see('painted')
        for element in user.find(ui.element).elements:
            assert 'evil' not in str(getattr(element, '_style', {})), path
            assert 'evil' not in str(getattr(element, 'content', '')), path
