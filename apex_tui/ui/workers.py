"""Workers that controllers start on their screen, as a ``@work`` method of the screen would.

The worker belongs to the screen (``node``): its group's exclusivity and its cancellation when
the screen goes away are the screen's, whichever controller's coroutine it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from textual.dom import DOMNode
from textual.worker import Worker


def start_worker(
    node: DOMNode,
    work: Callable[..., Coroutine[Any, Any, None]],
    *args: Any,
    group: str,
    exclusive: bool = False,
) -> Worker[None]:
    """Run ``work(*args)`` in a worker of ``node``'s, named after ``work``, in ``group``."""
    return node.run_worker(
        partial(work, *args), name=work.__name__, group=group, exclusive=exclusive
    )
