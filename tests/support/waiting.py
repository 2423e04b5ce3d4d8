"""Waiting on a condition with a deadline: how tests synchronise, instead of sleeping.

``wait_until`` polls a predicate (``await_until`` an async one) until it returns
something true, and returns that; past the deadline it fails with ``what`` and the
last value seen, so a test that waits in vain says what it was waiting for.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.05) -> T:
    """Poll ``predicate`` until it returns a true value (returned), or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what} (last: {value!r})")
        time.sleep(interval)


@overload
async def await_until(
    predicate: Callable[[], Awaitable[T]], timeout: float, what: str, interval: float = ...
) -> T: ...


@overload
async def await_until(
    predicate: Callable[[], T], timeout: float, what: str, interval: float = ...
) -> T: ...


async def await_until(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.02
) -> Any:
    """``wait_until`` for the event loop: ``predicate`` may be a coroutine function."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what} (last: {value!r})")
        await asyncio.sleep(interval)
