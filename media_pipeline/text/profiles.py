"""Subtitle style-guide profiles: the numbers segmentation must respect."""

from dataclasses import dataclass, fields, replace

from media_pipeline.errors import ConfigurationError
from media_pipeline.subtitles.rules import RuleLimits


@dataclass(frozen=True)
class SegmentationProfile:
    """Limits of one style guide (times in ms)."""

    name: str
    max_chars_per_line: int = 42
    max_lines: int = 2
    min_duration_ms: int = 834  # 5/6 s, rounded up so ms rounding never dips below
    max_duration_ms: int = 7000
    max_cps: float = 20.0
    frame_rate: float = 24.0
    min_gap_frames: int = 2
    pause_split_ms: int = 600
    """A pause at least this long ends a cue."""
    close_gap_ms: int = 500
    """Gaps shorter than this between cues are closed down to the minimum gap."""
    quote_style: str = "straight"
    """Cleanup's quote normalization: ``straight``, ``typographic`` or ``keep``."""

    def __post_init__(self) -> None:
        if self.max_chars_per_line < 1 or self.max_lines < 1:
            raise ConfigurationError("a profile needs at least one line of one character")
        if not 0 < self.min_duration_ms <= self.max_duration_ms:
            raise ConfigurationError("a profile needs 0 < min_duration_ms <= max_duration_ms")
        if self.max_cps <= 0 or self.frame_rate <= 0 or self.min_gap_frames < 0:
            raise ConfigurationError("max_cps and frame_rate must be positive")
        # The longest cue text must be readable within the longest duration.
        if self.max_chars_per_line * self.max_lines * 1000 / self.max_cps > self.max_duration_ms:
            raise ConfigurationError(
                "the profile's full cue cannot be read within its maximum duration: lower "
                "max_chars_per_line or max_lines, or raise max_cps or max_duration_ms")
        if self.quote_style not in ("straight", "typographic", "keep"):
            raise ConfigurationError(f"unknown quote style {self.quote_style!r}")

    @property
    def min_gap_ms(self) -> int:
        return int(-(-self.min_gap_frames * 1000 // self.frame_rate))  # ceil

    @property
    def limits(self) -> RuleLimits:
        """The numbers the rule checks compare against."""
        return RuleLimits(self.max_chars_per_line, self.max_lines, self.min_duration_ms,
                          self.max_duration_ms, self.max_cps, self.min_gap_ms)


PROFILES: dict[str, SegmentationProfile] = {
    # Netflix Timed Text Style Guide (English): 42 chars, 2 lines, 5/6 s to 7 s, 20 cps,
    # 2 frames between events.
    "netflix-en": SegmentationProfile(name="netflix-en"),
    # BBC Subtitle Guidelines: 37 characters a line (68% of the width in Teletext terms),
    # 160-180 words a minute, i.e. about 15 characters a second; at least 0.3 s per word.
    # The BBC asks for typographic (curly) quotes.
    "bbc": SegmentationProfile(
        name="bbc", max_chars_per_line=37, max_lines=2, min_duration_ms=1000,
        max_duration_ms=7000, max_cps=15.0, frame_rate=25.0, min_gap_frames=2,
        quote_style="typographic",
    ),
}

#: Numbers the ``custom`` profile takes from settings (``custom_<name>``).
CUSTOM_FIELDS = ("max_chars_per_line", "max_lines", "min_duration_ms", "max_duration_ms",
                 "max_cps", "frame_rate", "min_gap_frames")


def get_profile(name: str, **overrides: object) -> SegmentationProfile:
    """A named profile; ``custom`` starts from netflix-en and takes every number as override."""
    known_fields = {f.name for f in fields(SegmentationProfile)} - {"name"}
    unknown = set(overrides) - known_fields
    if unknown:
        raise ConfigurationError(f"unknown profile setting(s): {', '.join(sorted(unknown))}")
    if name == "custom":
        return replace(PROFILES["netflix-en"], name="custom", **overrides)  # type: ignore[arg-type]
    try:
        base = PROFILES[name]
    except KeyError:
        known = ", ".join([*PROFILES, "custom"])
        raise ConfigurationError(
            f"unknown segmentation profile {name!r} (known: {known})") from None
    return replace(base, **overrides) if overrides else base  # type: ignore[arg-type]
