"""A process-local listener for per-partition progress (the CLI's progress bar uses it)."""

import contextlib
from collections.abc import Callable

Listener = Callable[[str, str, float, bool], None]
_listeners: list[Listener] = []


def add_listener(listener: Listener) -> None:
    _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def report(asset: str, key: str, seconds: float, cached: bool) -> None:
    """Called after each partition of each asset; never lets a listener break a run."""
    for listener in list(_listeners):
        with contextlib.suppress(Exception):  # a broken progress bar must not fail a run
            listener(asset, key, seconds, cached)
