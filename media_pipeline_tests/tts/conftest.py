"""Fixtures for the TTS tests."""

from collections.abc import Iterator

import pytest

from media_pipeline_tests.tts.fakes import FakeSpeechServer


@pytest.fixture
def speech_server() -> Iterator[FakeSpeechServer]:
    with FakeSpeechServer() as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []
