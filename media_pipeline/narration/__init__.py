"""Narration jobs (seed 003) over Dagster: the request store, providers by name, the steps the
``narration`` assets run, the job lifecycle derived from the instance, and the in-process
runner behind ``media-pipeline narrate`` and ``/api/narrations``.

``store``, ``providers``, ``steps``, ``wer`` and ``round_trip`` never import Dagster; ``jobs``,
``resource`` and ``runner`` are the Dagster-facing side.
"""
