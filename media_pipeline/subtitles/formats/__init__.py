"""One subtitle format per module; ``media_pipeline.subtitles.export`` holds the registry."""
