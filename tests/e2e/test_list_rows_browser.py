"""List rows are plain HTML with one delegated listener per list (components/list_view.py): in Chromium a
row's checkbox selects it and its star marks it a favourite, without opening the row's item."""

from __future__ import annotations

from app.data import db as dbmod
from app.data import outputs
from app.data.models import Output

from .conftest import wait_for_app


def test_a_rows_checkbox_selects_and_its_star_marks_a_favourite(start_app, page, tmp_path) -> None:
    db_path = tmp_path / 'rows.db'
    dbmod.connect(db_path)
    ids = [outputs.capture_output(outputs.CaptureData(body=f'# Row {n}\nText {n}.')).id for n in range(3)]
    dbmod.close()
    app = start_app(db_path=db_path)
    page.goto(app.url + '/outputs')
    wait_for_app(page)
    rows = page.locator('.nicegui-sub-pages')
    rows.get_by_label('Select Row 1').check()
    rows.get_by_text('1 selected').wait_for()
    rows.get_by_label('Select all on this page').check()
    rows.get_by_text('3 selected').wait_for()
    assert page.url == app.url + '/outputs'  # a tick never opens the row

    star = rows.locator(f'[data-oh-fav="{ids[1]}"]')
    assert star.get_attribute('aria-pressed') == 'false'
    star.click()
    page.wait_for_function(
        f'document.querySelector(\'[data-oh-fav="{ids[1]}"]\')?.getAttribute("aria-pressed") === "true"'
    )
    assert page.url == app.url + '/outputs'
    dbmod.connect(db_path)
    try:
        assert [o.id for o in Output.select().where(Output.favourite == True)] == [ids[1]]  # noqa: E712
    finally:
        dbmod.close()
