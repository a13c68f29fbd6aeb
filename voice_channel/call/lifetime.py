"""How a call ends (once, with a reason), and the tasks it runs until then."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, List, Optional

logger = logging.getLogger(__name__)


class CallEnded(Exception):
    """Raised inside the call's tasks to stop them."""


class CallLifetime:
    """The call's end and its supervised tasks: a failing task ends the call, never the server."""

    def __init__(self) -> None:
        self.call_sid: Optional[str] = None  # for the logs, once known
        self.end_reason: Optional[str] = None
        self._ended = asyncio.Event()
        self._tasks: List[asyncio.Task] = []

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    def end(self, reason: str) -> None:
        """The call ends for ``reason`` (the first reason given wins)."""
        if not self._ended.is_set():
            self.end_reason = reason
            self._ended.set()

    async def wait(self) -> None:
        await self._ended.wait()

    def spawn(self, coroutine: Awaitable[None], name: str) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(self._guard(coroutine), name=name)
        self._tasks.append(task)
        task.add_done_callback(lambda t: self._tasks.remove(t) if t in self._tasks else None)
        return task

    async def _guard(self, coroutine: Awaitable[None]) -> None:
        try:
            await coroutine
        except (CallEnded, asyncio.CancelledError):
            pass
        except Exception as error:
            logger.exception("call %s: task failed (%s)", self.call_sid, type(error).__name__)
            self.end("error")

    def cancel_tasks(self) -> List[asyncio.Task]:
        """Cancel every task but the current one; the cancelled tasks, to be awaited."""
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        return tasks

    async def settle(self, tasks: List["asyncio.Future"], seconds: float) -> None:
        """Wait ``seconds`` at most for ``tasks`` (cancelled) to finish. One still running
        then is a bug (it ignores its cancellation): it is logged by name and left behind,
        and the call's end goes on (its dialogue session closed, its line released)."""
        if not tasks:
            return
        done, pending = await asyncio.wait(tasks, timeout=seconds)
        for task in done:
            if not task.cancelled():
                task.exception()  # retrieved: a failure was logged where it happened
        for task in pending:
            name = task.get_name() if isinstance(task, asyncio.Task) else repr(task)
            logger.warning("call %s: task %s still running %.1f s after the call ended: left "
                           "behind", self.call_sid, name, seconds)
