"""Settings → Integrations → Webhooks: the webhook URLs with the events each wants, adding one (its
signing secret shown once), editing, turning off and deleting, *Send test event*, and the delivery log
with a Retry for a failed delivery. Everything goes through ``app.services.webhooks``, which refuses
anyone but an administrator."""

from __future__ import annotations

from typing import Any

from nicegui import run, ui

from ..components import dialogs, fmt, toast
from ..components.secret import viewer
from ..context import AppContext
from ..data import webhooks as hooks
from ..errors import UserError
from ..services import webhooks as service

TEST_WAIT_SECONDS = 30.0  # how long the panel watches a test event before leaving it to the log
STATUS_COLORS = {hooks.PENDING: 'grey-7', hooks.DELIVERED: 'positive', hooks.FAILED: 'negative'}


def _card(title: str) -> ui.card:
    card = ui.card().classes('w-full gap-3').props('flat bordered')
    with card:
        ui.label(title).classes('font-semibold')
    return card


def _status_label(row: hooks.LogRow) -> str:
    return 'Retrying' if row.retrying else row.status.capitalize()


def _status_text(row: hooks.LogRow) -> str:
    code = f' (HTTP {row.status_code})' if row.status_code is not None else ''
    if row.status == hooks.PENDING and row.attempts == 0:
        return f'{row.event}, queued {fmt.ago(row.at)}'
    return f'{row.event}, {_status_label(row).lower()}{code}, {fmt.ago(row.at)}'


class WebhooksPanel:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.principal = viewer()
        self.list_box = ui.column().classes('w-full gap-0')
        self.log_box: ui.column | None = None
        self.timers = ui.element('div').classes('hidden')  # the watch on a test event lives here

    # -- drawing

    async def refresh(self) -> None:
        try:
            views = await run.io_bound(service.list_webhooks, self.principal)
            log = await run.io_bound(service.delivery_log, self.principal, None, 20)
        except UserError as exc:
            toast.error(str(exc))
            return
        if views is None or log is None or self.list_box.is_deleted:  # the app is stopping, the page gone
            return
        self.list_box.clear()
        with self.list_box:
            if not views:
                ui.label('No webhooks yet.').classes('text-sm oh-muted').mark('webhooks-empty')
            for view in views:
                self._row(view)
        if self.log_box is not None and not self.log_box.is_deleted:
            self.log_box.clear()
            with self.log_box:
                self._log(log)

    def _row(self, view: service.WebhookView) -> None:
        with ui.row().classes(
            'w-full items-center gap-3 py-2 border-b border-slate-200 dark:border-slate-700'
        ):
            ui.icon('webhook').classes('text-2xl ' + ('text-slate-600' if view.enabled else 'text-slate-400'))
            with ui.column().classes('gap-1 grow min-w-0'):
                ui.label(view.url).classes(
                    'font-mono text-sm break-all' + ('' if view.enabled else ' oh-muted')
                ).mark(f'webhook-url-{view.id}')
                with ui.row().classes('items-center gap-1 flex-wrap'):
                    for label in view.event_labels:
                        ui.badge(label, color='grey-7')
                    if view.allow_secret:
                        ui.badge('Secret items too', color='orange')
                    if not view.enabled:
                        ui.badge('Off', color='grey-5')
                last = (
                    f'Last delivery: {_status_text(view.last)}'
                    if view.last is not None
                    else 'No deliveries yet'
                )
                if view.last is not None and view.last.status == hooks.FAILED and view.last.error:
                    last += f' ({view.last.error})'
                ui.label(last).classes('text-xs oh-muted').mark(f'webhook-last-{view.id}')
            with ui.row().classes('items-center gap-1'):
                switch = ui.switch(value=view.enabled).mark(f'webhook-enabled-{view.id}')
                switch.tooltip('Send deliveries')
                switch.on_value_change(lambda e, v=view: self._set_enabled(v.id, bool(e.value)))
                ui.button(
                    'Send test event', icon='send', on_click=lambda _=None, v=view: self._send_test(v.id)
                ).props('flat dense no-caps').mark(f'webhook-test-{view.id}')
                ui.button('Edit', icon='edit', on_click=lambda _=None, v=view: self._edit(v)).props(
                    'flat dense no-caps'
                ).mark(f'webhook-edit-{view.id}')
                ui.button('Delete', icon='delete', on_click=lambda _=None, v=view: self._delete(v)).props(
                    'flat dense no-caps color=negative'
                ).mark(f'webhook-delete-{view.id}')

    def _log(self, rows: list[hooks.LogRow]) -> None:
        if not rows:
            ui.label('Nothing sent yet.').classes('text-sm oh-muted').mark('webhook-log-empty')
            return
        for row in rows:
            with (
                ui.row()
                .classes('w-full items-center gap-3 py-1 border-b border-slate-200 dark:border-slate-700')
                .mark('webhook-log-row')
            ):
                color = 'warning' if row.retrying else STATUS_COLORS.get(row.status, 'grey-7')
                ui.badge(_status_label(row), color=color)
                with ui.column().classes('gap-0 grow min-w-0'):
                    code = f'HTTP {row.status_code}' if row.status_code is not None else 'no answer'
                    tries = fmt.plural(row.attempts, 'attempt')
                    ui.label(f'{row.event} · {code} · {tries} · {fmt.ago(row.at)}').classes('text-sm')
                    if row.error and row.status != hooks.DELIVERED:
                        again = (
                            f' Next try {fmt.date_time(row.next_attempt_at)}.'
                            if row.retrying and row.next_attempt_at
                            else ''
                        )
                        ui.label(row.error + again).classes('text-xs oh-muted break-all')
                    ui.label(row.delivery_id).classes('text-xs oh-muted font-mono')
                if row.status == hooks.FAILED:
                    ui.button(
                        'Retry', icon='replay', on_click=lambda _=None, r=row: self._retry(r.delivery_row_id)
                    ).props('flat dense no-caps').mark(f'webhook-retry-{row.delivery_row_id}')

    # -- actions

    async def _call(self, func: Any, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        """(done, result) of a service call off the event loop; a refusal is one toast."""
        try:
            return True, await run.io_bound(func, self.principal, *args, **kwargs)
        except UserError as exc:
            toast.error(str(exc))
            return False, None

    async def _set_enabled(self, webhook_id: int, enabled: bool) -> None:
        done, _ = await self._call(service.update_webhook, webhook_id, enabled=enabled)
        if done:
            ui.notify('Webhook on' if enabled else 'Webhook off', type='info')
        await self.refresh()

    async def _send_test(self, webhook_id: int) -> None:
        done, delivery_id = await self._call(service.send_test, webhook_id, self.ctx)
        if not done:
            return
        if self.ctx.webhooks is None:
            ui.notify('Test event queued; webhooks are not being sent while the app runs without them.')
        else:
            ui.notify('Test event queued', type='info')
        await self.refresh()
        waited = {'seconds': 0.0}

        async def check() -> None:
            waited['seconds'] += 0.5
            row = await run.io_bound(service.delivery_status, self.principal, delivery_id)
            if row is not None and row.attempts == 0 and waited['seconds'] < TEST_WAIT_SECONDS:
                return
            timer.deactivate()
            await self.refresh()
            if row is None:  # the webhook was deleted meanwhile (its queue with it): nothing to watch
                pass
            elif row.status == hooks.DELIVERED:
                ui.notify(f'Test event delivered (HTTP {row.last_status_code})', type='positive')
            elif row.status == hooks.FAILED:
                toast.error(f'Test event not delivered: {row.last_error}')
            elif row.attempts:
                toast.error(f'Test event not delivered yet: {row.last_error} It is tried again later.')
            timer.delete()  # last: deleting the timer cancels what its callback still awaits

        with self.timers:
            timer = ui.timer(0.5, check)

    async def _retry(self, delivery_row_id: int) -> None:
        done, _ = await self._call(service.retry_delivery, delivery_row_id, self.ctx)
        if done:
            ui.notify('Sending again', type='info')
        await self.refresh()

    async def _delete(self, view: service.WebhookView) -> None:
        with ui.dialog() as dialog, ui.card().classes('max-w-md'):
            ui.label('Delete this webhook?').classes('font-semibold')
            ui.label(view.url).classes('font-mono text-sm break-all')
            ui.label('Its queue and delivery log go with it; the secret is forgotten.').classes(
                'text-sm oh-muted'
            )
            with ui.row().classes('w-full justify-end'):
                ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat no-caps')
                ui.button('Delete', on_click=lambda: dialog.submit(True)).props(
                    'color=negative no-caps'
                ).mark('dialog-delete')
        if await dialogs.answer(dialog):
            done, _ = await self._call(service.delete_webhook, view.id)
            if done:
                ui.notify('Webhook deleted', type='positive')
            await self.refresh()

    async def _form(self, title: str, view: service.WebhookView | None) -> dict[str, Any] | None:
        """The Add / Edit dialog; returns the values, ``{'renew': True}`` for a new secret, or None."""
        with ui.dialog() as dialog, ui.card().classes('gap-3 w-[32rem] max-w-[92vw]'):
            ui.label(title).classes('text-lg font-semibold')
            url = (
                ui.input(
                    'URL',
                    value=view.url if view else '',
                    placeholder='https://hooks.zapier.com/hooks/catch/…',
                )
                .props('outlined dense')
                .classes('w-full')
                .mark('webhook-url-input')
            )
            ui.label('Send when').classes('text-sm font-medium')
            chosen = set(view.events) if view else {'output.captured'}
            boxes = {
                event: ui.checkbox(label, value=event in chosen).mark(f'webhook-event-{event}')
                for event, label in hooks.EVENTS.items()
            }
            allow = ui.switch('Send Secret items too', value=view.allow_secret if view else False).mark(
                'webhook-allow-secret'
            )
            ui.label(
                'Items at a restricted sensitivity level (Secret) are left out unless this is on.'
            ).classes('text-xs oh-muted')
            problem = ui.label('').classes('text-sm text-negative').mark('webhook-form-error')
            problem.set_visibility(False)

            def save() -> None:
                values = {
                    'url': url.value or '',
                    'events': [e for e, box in boxes.items() if box.value],
                    'allow_secret': bool(allow.value),
                }
                try:  # said here, in the dialog, so nothing typed is lost (the service checks again)
                    hooks.check_url(values['url'])
                    hooks.check_events(values['events'])
                except UserError as exc:
                    problem.set_text(str(exc))
                    problem.set_visibility(True)
                    return
                dialog.submit(values)

            with ui.row().classes('w-full justify-end gap-2'):
                if view is not None:
                    ui.button('New secret', on_click=lambda: dialog.submit({'renew': True})).props(
                        'flat no-caps'
                    ).mark('webhook-renew-secret')
                ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat no-caps')
                ui.button('Save' if view else 'Add webhook', on_click=save).props('unelevated no-caps').mark(
                    'webhook-save'
                )
        return await dialogs.answer(dialog)

    async def add(self) -> None:
        values = await self._form('Add a webhook', None)
        if not values:
            return
        done, created = await self._call(
            service.add_webhook, values['url'], values['events'], allow_secret=values['allow_secret']
        )
        if not done:
            return
        await self.refresh()
        self._show_secret(created[1])

    async def _edit(self, view: service.WebhookView) -> None:
        values = await self._form('Edit the webhook', view)
        if not values:
            return
        if values.get('renew'):
            done, secret = await self._call(service.renew_secret, view.id)
            if done:
                self._show_secret(secret)
            return
        done, _ = await self._call(service.update_webhook, view.id, **values)
        if done:
            toast.saved()
        await self.refresh()

    def _show_secret(self, secret: str) -> None:
        with ui.dialog() as dialog, ui.card().classes('gap-3 w-[32rem] max-w-[92vw]'):
            ui.label('The signing secret').classes('text-lg font-semibold')
            ui.label(
                'Copy it now: it is shown only once. The receiver checks X-OutputHub-Signature with it.'
            ).classes('text-sm oh-muted')
            field = (
                ui.input(value=secret)
                .props('outlined dense')
                .classes('w-full font-mono')
                .mark('webhook-secret')
            )
            field.props['readonly'] = True
            with ui.row().classes('w-full justify-end'):
                ui.button('Done', on_click=dialog.close).props('unelevated no-caps')
        dialog.open()


async def webhooks_panel(ctx: AppContext) -> None:
    with _card('Webhooks'):
        ui.label(
            'Send what happens in the library to Zapier, IFTTT, n8n, Home Assistant or a script: a signed '
            'JSON POST, sent in the background and retried when the other end is down.'
        ).classes('text-sm oh-muted')
        panel = WebhooksPanel(ctx)
        ui.button('Add webhook', icon='add', on_click=panel.add).props('unelevated no-caps').mark(
            'webhook-add'
        )
    with _card('Delivery log'):
        panel.log_box = ui.column().classes('w-full gap-0')
    await panel.refresh()


def register(ctx: AppContext) -> None:
    from . import integrations  # here, not at the top: see CONTRIBUTING (page modules are reloaded in tests)

    integrations.add_panel(integrations.Panel('webhooks', webhooks_panel, order=10))
