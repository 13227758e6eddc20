"""The per-asset loop's bookkeeping: one listing of the media partitions per step."""

import dagster as dg

from media_pipeline.assets.partitioned import partitions_listed_once
from media_pipeline.partitions import MEDIA_PARTITIONS_NAME


def test_partitions_are_listed_once_inside_the_block_and_live_after_it() -> None:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, ["a", "b"])
    with partitions_listed_once(instance):
        assert list(instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME)) == ["a", "b"]
        instance._event_storage.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, ["c"])
        # Answered from the one listing: no query sees "c" inside the block.
        assert instance.has_dynamic_partition(MEDIA_PARTITIONS_NAME, "b")
        assert not instance.has_dynamic_partition(MEDIA_PARTITIONS_NAME, "c")
        assert list(instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME)) == ["a", "b"]
    assert instance.has_dynamic_partition(MEDIA_PARTITIONS_NAME, "c")
    assert list(instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME)) == ["a", "b", "c"]
