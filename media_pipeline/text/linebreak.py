"""Break a cue's words into display lines: balanced, bottom-heavy, no orphan words."""

from media_pipeline.subtitles.model import join_words

# Words that read badly at the end of a line: the line should break before them.
_WEAK_LINE_ENDS = frozenset((
    "a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "with", "from", "and", "or",
    "but", "nor", "as", "if", "that", "than", "his", "her", "its", "their", "my", "your", "our",
    "this", "these", "those", "is", "was", "be", "are", "were",
))


#: Titles and abbreviations whose full stop does not end a sentence ("Mr. Smith").
ABBREVIATIONS = frozenset((
    "mr.", "mrs.", "ms.", "dr.", "st.", "prof.", "sr.", "jr.", "mt.", "gen.", "col.", "capt.",
    "lt.", "sgt.", "rev.", "hon.", "vs.", "e.g.", "i.e.", "approx.", "no.", "fig.", "vol.",
))


def is_weak_ending(word: str) -> bool:
    """Whether a line or cue should not end with ``word`` (an article, preposition, ...)."""
    return word.lower().strip("\"'") in _WEAK_LINE_ENDS


def break_lines(words: list[str], max_chars: int, max_lines: int) -> tuple[str, ...] | None:
    """The best line layout of ``words``, or None when they cannot fit."""
    whole = join_words(words)
    if len(whole) <= max_chars:
        return (whole,)
    if max_lines < 2 or len(words) < 2:
        return None
    best: tuple[float, tuple[str, ...]] | None = None
    for i in range(1, len(words)):
        top, rest = join_words(words[:i]), words[i:]
        if len(top) > max_chars:
            break
        tail = break_lines(rest, max_chars, max_lines - 1)
        if tail is None:
            continue
        lines = (top, *tail)
        cost = _layout_cost(words[:i], lines, words[i])
        if best is None or cost < best[0]:
            best = (cost, lines)
    return best[1] if best else None


def _layout_cost(top_words: list[str], lines: tuple[str, ...], next_word: str = "") -> float:
    lengths = [len(line) for line in lines]
    cost = float(max(lengths) - min(lengths))  # balance
    if lengths[0] > lengths[-1]:
        cost += 2.0  # prefer the bottom line longer (bottom-heavy pyramid)
    last = top_words[-1]
    if last[-1:] in ".,;:!?":
        cost -= 8.0  # a clause end is the natural place to break
    if is_weak_ending(last):
        cost += 10.0
    if next_word[:1].isupper() and (last.lower() in ABBREVIATIONS
                                    or (last[:1].isupper() and last[-1:].isalnum())):
        cost += 15.0  # keep a name ("New York") on one line
    if any(" " not in line and len(lines) > 1 for line in lines):
        cost += 6.0  # a single word alone on a line
    return cost + 4.0 * (len(lines) - 2)
