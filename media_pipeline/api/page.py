"""The browser page at ``/``, its files at ``/static``, and ``/docs`` and ``/redoc`` offline.

FastAPI's own docs pages load Swagger UI and Redoc from a CDN (and Redoc Google's fonts):
on a machine without internet they are blank. These serve the same pages from the bundles
vendored under ``media_pipeline/web/static/vendor/`` (npm's swagger-ui-dist and redoc).
"""

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from media_pipeline.web import INDEX_HTML, STATIC_DIR

router = APIRouter(include_in_schema=False)

SWAGGER_JS = "/static/vendor/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = "/static/vendor/swagger-ui/swagger-ui.css"
REDOC_JS = "/static/vendor/redoc/redoc.standalone.js"
NO_FAVICON = "data:,"
"""An empty icon: the browser asks no server for one."""
NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>media_pipeline</title></head><body>
<h1>media_pipeline</h1>
<p>The browser page is not built. Run <code>make web</code> in the project, then reload.</p>
<p>The API works without it: <a href="/docs">/docs</a>.</p>
</body></html>
"""


@router.get("/")
def page() -> Response:
    """The single-page app (no token needed: it asks for one when the API wants it)."""
    if not INDEX_HTML.is_file():
        return HTMLResponse(NOT_BUILT, headers={"Cache-Control": "no-cache"})
    return FileResponse(INDEX_HTML, media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI from the package's own files."""
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url, title=f"{request.app.title} - Swagger UI",
        swagger_js_url=SWAGGER_JS, swagger_css_url=SWAGGER_CSS,
        swagger_favicon_url=NO_FAVICON,
        swagger_ui_parameters={"validatorUrl": None})  # its badge would call swagger.io


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """Redoc from the package's own files, with the system fonts."""
    return get_redoc_html(openapi_url=request.app.openapi_url,
                          title=f"{request.app.title} - ReDoc", redoc_js_url=REDOC_JS,
                          redoc_favicon_url=NO_FAVICON, with_google_fonts=False)


def install_page(app: FastAPI) -> None:
    """Add the page, the docs and ``/static`` (when the package has its files) to ``app``."""
    app.include_router(router)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
