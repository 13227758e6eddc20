"""``/api/session``: the browser page trades the API token for an HttpOnly cookie, once.

With ``MEDIA_PIPELINE_API_TOKEN`` set, the page asks for the token and posts it here; the
cookie then authenticates what a page cannot add a header to (``<video src>``, ``<track>``,
downloads, EventSource). Scripts keep using ``Authorization: Bearer``.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from media_pipeline.api.deps import SESSION_COOKIE, get_runtime, has_token, token_ok
from media_pipeline.api.schemas import ErrorOut
from media_pipeline.settings import RuntimeSettings

router = APIRouter(prefix="/api/session", tags=["session"])
Runtime = Annotated[RuntimeSettings, Depends(get_runtime)]


class SessionOut(BaseModel):
    auth_required: bool = Field(description="Whether the server has an API token set")
    authenticated: bool = Field(description="Whether this request carries it (header or "
                                            "cookie); true when none is required")


class SessionIn(BaseModel):
    token: str = Field(min_length=1, max_length=4096, description="MEDIA_PIPELINE_API_TOKEN")


@router.get("", response_model=SessionOut)
def get_session(request: Request, runtime: Runtime) -> SessionOut:
    """Whether a token is needed and whether this request has it (no token needed here)."""
    expected = runtime.api_token
    return SessionOut(auth_required=bool(expected),
                      authenticated=not expected or has_token(request, expected))


@router.post("", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
             responses={204: {"description": "Right token: ``Set-Cookie: mp_session`` "
                                             "(HttpOnly, SameSite=Strict, Path=/); no cookie "
                                             "when the server has no token"},
                        401: {"model": ErrorOut, "description": "Wrong token"}})
def create_session(body: SessionIn, runtime: Runtime) -> Response:
    """Exchange the API token for the session cookie (compared in constant time)."""
    expected = runtime.api_token
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    if not expected:
        return response
    if not token_ok(body.token, expected):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong token")
    response.set_cookie(SESSION_COOKIE, expected, httponly=True, samesite="strict", path="/")
    return response


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses={204: {"description": "The cookie is cleared"}})
def delete_session() -> Response:
    """Forget the session cookie (sign out)."""
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
