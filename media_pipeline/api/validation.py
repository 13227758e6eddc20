"""JSON request bodies the API can trust: finite numbers and bounded nesting.

Python's ``json`` reads ``NaN``, ``Infinity`` and ``1e999`` (as infinity), which no JSON
client should send and which fail later where nobody expects them (a 500 when the answer is
rendered); it also recurses once per nesting level, so a body of 100,000 ``[`` is a
RecursionError, another 500. :func:`parse_json` refuses both up front with a 4xx. Routers
use it through :class:`JSONRoute` (``APIRouter(route_class=JSONRoute)``), which makes
FastAPI's own body parsing go through it; code that reads a body itself calls it directly.

Body size is bounded before any of this by the app's body-limit middleware (api/limits.py).
"""

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response, status
from fastapi.routing import APIRoute

#: Deeper than any body of ours needs (options are flat, cleanup selections two levels).
MAX_JSON_DEPTH = 32


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses as infinity
        raise ValueError("a number is out of range")
    return value


def parse_json(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``body`` as JSON; HTTPException 422 when it is not JSON (``NaN``, ``Infinity`` and
    out-of-range numbers included), 400 when it nests deeper than ``max_depth``.

    The messages say what is wrong and where (a byte offset), never the body itself.
    """
    try:
        value = json.loads(body, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise _too_deep(max_depth) from None
    except json.JSONDecodeError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"the body is not valid JSON ({exc.msg} at byte {exc.pos})"
                            ) from None
    except ValueError as exc:  # NaN, infinity, an integer of thousands of digits, bad UTF-8
        reason = "not UTF-8" if isinstance(exc, UnicodeDecodeError) else str(exc)[:80]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"the body is not valid JSON ({reason})") from None
    if nesting_depth(value, max_depth) > max_depth:
        raise _too_deep(max_depth)
    return value


def _too_deep(max_depth: int) -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST,
                         f"the JSON body nests deeper than {max_depth} levels")


def nesting_depth(value: Any, stop_at: int = MAX_JSON_DEPTH) -> int:
    """How deep lists and objects nest in ``value`` (a scalar is 0, ``[]`` is 1); counting
    stops once it passes ``stop_at``. Iterative, so no depth can overflow the stack."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > stop_at:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


_UNSET = object()


class JSONRequest(Request):
    """A request whose ``json()`` is :func:`parse_json` (what FastAPI parses bodies with)."""

    _parsed: Any = _UNSET

    async def json(self) -> Any:
        if self._parsed is _UNSET:
            self._parsed = parse_json(await self.body())
        return self._parsed


class JSONRoute(APIRoute):
    """An APIRoute whose JSON bodies go through :func:`parse_json`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def parse_safely(request: Request) -> Response:
            return await handler(JSONRequest(request.scope, request.receive))
        return parse_safely
