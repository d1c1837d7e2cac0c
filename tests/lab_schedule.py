"""An xdist scheduler that runs the real-Xen tier alone, then everything else on all workers.

The lab is one emulated host (QEMU without KVM) on the same cores as the tests: run beside
the rest, its tests took half as long again and some timed out. Alone, it takes about as
long as the rest on one worker; the rest then splits across the workers.
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadGroupScheduling
from xdist.workermanage import WorkerController

LAB_GROUP = "xen-lab"


class LabAloneFirst(LoadGroupScheduling):
    """LoadGroupScheduling, except that no other worker gets work while the lab group runs."""

    def _lab_pending_on(self, node: WorkerController) -> bool:
        unit = self.assigned_work.get(node, {}).get(LAB_GROUP)
        return unit is not None and not all(unit.values())

    def _lab_busy_elsewhere(self, node: WorkerController) -> bool:
        return any(self._lab_pending_on(other) for other in self.nodes if other is not node)

    def _reschedule(self, node: WorkerController) -> None:
        if self.workqueue and self._lab_busy_elsewhere(node):
            return  # idle until the lab's worker is done with it (woken below)
        super()._reschedule(node)

    def mark_test_complete(self, node: WorkerController, item_index: int,
                           duration: float = 0) -> None:
        lab_was_pending = self._lab_pending_on(node)
        super().mark_test_complete(node, item_index, duration)
        if lab_was_pending and not self._lab_pending_on(node):
            for other in self.nodes:
                if other is not node:
                    self._reschedule(other)


def make_scheduler(config: pytest.Config, log: object) -> LabAloneFirst:
    return LabAloneFirst(config, log)  # type: ignore[arg-type]
