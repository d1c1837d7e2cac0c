"""One action from key press to result: form → plan → confirmation → run → notification.

Runs in a Textual worker (it waits for screens), so the dashboard keeps updating and other
actions can run meanwhile. Nothing is ever edited in the model: the seam asks the host's
poller for a re-poll and the change shows in the next snapshot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from collectors.control.errors import ControlError
from collectors.control.seam import ControlSeam, Plan
from tui.actions.confirm import ConfirmScreen
from tui.actions.form import ActionForm
from tui.actions.specs import ActionSpec
from tui.actions.target import Target
from tui.actions.text import target_header

if TYPE_CHECKING:
    from tui.actions.app_actions import ActionsApp


class ActionFlow:
    def __init__(self, app: ActionsApp, spec: ActionSpec, target: Target) -> None:
        self.app = app
        self.spec = spec
        self.target = target

    async def run(self) -> None:
        app, spec, t = self.app, self.spec, self.target
        seam = app.seam_for(t.host)
        if seam is None:
            app.say("error", spec.footer, f"no connection to {t.host}: cannot act on it")
            return
        busy = app.busy_with(t)
        if busy is not None:
            app.say("warning", spec.footer, f"{t.name}: a {busy} is still running; wait for it")
            return
        plan = await (self._form(seam) if spec.has_form else self._plan(seam))
        if plan is None:
            return  # cancelled or invalid before anything was planned: nothing to run
        confirmed = await app.push_screen_wait(ConfirmScreen(plan))
        app.opened(self)
        if confirmed is None:
            await seam.record(plan, "refused", "cancelled at the confirmation")
            app.say("information", f"{plan.verb} cancelled", "nothing was sent")
            return
        await app.execute_plan(seam, plan, confirmed.typed)

    async def _form(self, seam: ControlSeam) -> Plan | None:
        t = self.target
        shown = Target(t.host) if self.spec.scope == "host" else t  # restore/create: the host
        form = ActionForm(self.spec, t, seam, lambda: self.app.store.host(t.host),
                          target_header(shown, "On"))
        return await self.app.push_screen_wait(form)

    async def _plan(self, seam: ControlSeam) -> Plan | None:
        """An action without a form: validate at once, say why not."""
        t = self.target
        snap = self.app.store.host(t.host)
        try:
            req = self.spec.build(t, {})
            if snap is None:
                raise ControlError(f"no data from {t.host} yet: wait a poll")
            return await seam.preview(req, snap)
        except ControlError as e:
            self.app.say("error", f"{self.spec.footer}: not sent", e.message)
            return None
