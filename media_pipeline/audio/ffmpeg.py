"""Where the ffmpeg binary comes from: the static build shipped in imageio-ffmpeg."""

from functools import lru_cache


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary (imageio-ffmpeg's static build: libass, loudnorm, lame)."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())
