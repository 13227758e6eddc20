"""The dynamic partitions: one ``media`` partition per distinct file content."""

import dagster as dg

MEDIA_PARTITIONS_NAME = "media"
NARRATION_PARTITIONS_NAME = "narration"

media_partitions = dg.DynamicPartitionsDefinition(name=MEDIA_PARTITIONS_NAME)
narration_partitions = dg.DynamicPartitionsDefinition(name=NARRATION_PARTITIONS_NAME)
