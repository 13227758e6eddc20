"""App factories for tests that run the API under a real uvicorn process, without Dagster's.

``python -m uvicorn --factory media_pipeline_tests.api.asgi_apps:api_only`` serves the API of
``MEDIA_PIPELINE_DATA_DIR`` (settings from the environment) with no run submitter and no
watcher thread: what is tested is what happens to a request before any run is involved.
"""

from fastapi import FastAPI

from media_pipeline.api.app import create_app
from media_pipeline.settings import pipeline_settings_from_env, runtime_settings_from_env


def api_only() -> FastAPI:
    return create_app(runtime_settings_from_env(), pipeline_settings_from_env(), watch=False)
