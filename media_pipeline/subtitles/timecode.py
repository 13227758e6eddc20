"""Every ms-to-timestamp conversion in one place."""


def _split(ms: int) -> tuple[int, int, int, int]:
    ms = max(0, int(ms))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms_left = divmod(rest, 1000)
    return h, m, s, ms_left


def srt_time(ms: int) -> str:
    """``HH:MM:SS,mmm``."""
    h, m, s, f = _split(ms)
    return f"{h:02d}:{m:02d}:{s:02d},{f:03d}"


def vtt_time(ms: int) -> str:
    """``HH:MM:SS.mmm``."""
    h, m, s, f = _split(ms)
    return f"{h:02d}:{m:02d}:{s:02d}.{f:03d}"


def lrc_time(ms: int) -> str:
    """``mm:ss.xx`` (hundredths; minutes grow past 59 rather than wrapping)."""
    cs = max(0, int(ms)) // 10
    m, rest = divmod(cs, 6000)
    s, c = divmod(rest, 100)
    return f"{m:02d}:{s:02d}.{c:02d}"
