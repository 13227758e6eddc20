"""The benchmarks are run by hand (`make bench`); at least make sure they still import."""

import importlib

import pytest


@pytest.mark.parametrize("name", ["throughput", "accuracy", "music", "bulk", "soak", "scale"])
def test_benchmark_modules_import(name: str) -> None:
    module = importlib.import_module(f"benchmarks.{name}")
    assert callable(module.main)
