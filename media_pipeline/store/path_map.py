"""How a media server's file paths read on this machine (the ``path_map`` setting).

Jellyfin, Emby and Plex name a file by the path *they* see, which differs from ours when one
of us runs in a container or on another host. ``path_map`` holds ``their=ours`` pairs
separated by ``;``: the pair with the longest prefix of the server's path wins, matched on
whole path components (``/media/tv`` does not match ``/media/tvshows/…``). A server on
Windows sends ``D:\\Movies\\…``: backslashes count as separators and a drive letter is
matched case-insensitively. With no pairs at all the server's path is taken as it is.
"""

import re
from dataclasses import dataclass

_DRIVE = re.compile(r"^[A-Za-z]:/")


class PathMapError(ValueError):
    """The ``path_map`` setting cannot be read (what is wrong is in the message)."""


def _normalized(path: str) -> str:
    """``path`` with ``/`` separators, no repeated or trailing ones (the root stays ``/``)."""
    text = path.strip().replace("\\", "/")
    text = re.sub(r"/{2,}", "/", text)
    return text.rstrip("/") or ("/" if text.startswith("/") else "")


def _comparable(path: str) -> str:
    """What prefixes are compared on: a Windows path ignores the case of its drive letter."""
    return path[0].lower() + path[1:] if _DRIVE.match(path + "/") else path


@dataclass(frozen=True)
class PathMap:
    """``their=ours`` prefix pairs, longest ``their`` first."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> "PathMap":
        """Pairs from ``their=ours;their=ours`` (blank entries skipped); PathMapError when an
        entry has no ``=`` or an empty side, or one prefix is given twice."""
        pairs: dict[str, tuple[str, str]] = {}
        for number, entry in enumerate(text.split(";"), start=1):
            if not entry.strip():
                continue
            theirs, sep, ours = entry.partition("=")
            theirs, ours = _normalized(theirs), ours.strip()
            if not sep or not theirs or not ours:
                raise PathMapError(f"entry {number} is not 'their=ours' (both sides paths)")
            key = _comparable(theirs)
            if key in pairs:
                raise PathMapError(f"entry {number} maps {theirs!r} a second time")
            pairs[key] = (theirs, _normalized(ours))
        ordered = sorted(pairs.values(), key=lambda pair: len(pair[0]), reverse=True)
        return cls(tuple(ordered))

    def map(self, their_path: str) -> str | None:
        """``their_path`` as we see it: the longest matching prefix replaced by ours; the
        path unchanged when there are no pairs; None when pairs exist and none matches."""
        if not self.pairs:
            return their_path
        path = _normalized(their_path)
        compared = _comparable(path)
        for theirs, ours in self.pairs:
            prefix = _comparable(theirs)
            if compared == prefix:
                return ours
            boundary = prefix if prefix.endswith("/") else prefix + "/"
            if compared.startswith(boundary):
                rest = path[len(boundary):]
                return ours.rstrip("/") + "/" + rest if ours != "/" else "/" + rest
        return None
