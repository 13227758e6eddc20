"""``media-pipeline speakers``: list a file's speakers, name them, or forget the names.

A name is stored in the library and applied when the files are written; ``rename`` and
``reset`` re-export the media at once (recognition and diarization are not run again:
the names enter only the exports' fingerprints) unless ``--no-apply`` is given.
"""

import argparse
import json
from typing import Any

from media_pipeline.cli.cleanup import media_key_for, rerun_media
from media_pipeline.cli.options import add_data_dir_option, add_setting_options, runtime_from_args
from media_pipeline.errors import MediaPipelineError
from media_pipeline.library.cleanup_review import latest_cues_dir
from media_pipeline.library.speaker_names import SpeakerNameStore
from media_pipeline.stages.cues_file import read_cues
from media_pipeline.store.paths import DataRoot
from media_pipeline.subtitles.voices import speakers_in


def add_speakers_parser(sub: Any) -> None:
    """Register the ``speakers`` subcommand on an argparse subparsers object."""
    s = sub.add_parser("speakers", help="list a file's speakers, or name them")
    actions = s.add_subparsers(dest="action", required=True)
    ls = actions.add_parser("list", help="the speakers of the media's latest run, and names")
    ls.add_argument("media", help="a media key, or the path of a processed file")
    ls.add_argument("--json", action="store_true", help="one JSON object per speaker")
    rn = actions.add_parser("rename", help='name speakers: LABEL NAME pairs ("Speaker 1" Alice)')
    rn.add_argument("media", help="a media key, or the path of a processed file")
    rn.add_argument("pairs", nargs="+", metavar="LABEL NAME", help="label, then its new name")
    reset = actions.add_parser("reset", help="forget every name given to the media's speakers")
    reset.add_argument("media", help="a media key, or the path of a processed file")
    for a in (rn, reset):
        a.add_argument("--no-apply", action="store_true",
                       help="only record it; the next process or reprocess run applies it")
        add_setting_options(a)
    add_data_dir_option(s, *actions.choices.values())
    s.set_defaults(func=cmd_speakers)


def cmd_speakers(args: argparse.Namespace) -> int:
    runtime = runtime_from_args(args)
    data = DataRoot.of(runtime)
    key = media_key_for(args.media, runtime)
    store = SpeakerNameStore(data.library())
    if args.action == "list":
        labels = speakers_in(read_cues(latest_cues_dir(data.artifacts_dir, key) / "cues.json"))
        names = store.names(key)
        for label in labels:
            name = names.get(label, label)
            print(json.dumps({"label": label, "name": name}, ensure_ascii=False) if args.json
                  else f"{label}: {name}" if name != label else label)
        return 0
    if args.action == "rename":
        if len(args.pairs) % 2:
            raise MediaPipelineError("give LABEL NAME pairs, e.g. \"Speaker 1\" Alice")
        pairs = dict(zip(args.pairs[::2], args.pairs[1::2], strict=True))
        names = store.set(key, pairs)
        print(", ".join(f"{a} → {b}" for a, b in names.items()) or "no names")
    else:
        print(f"{store.clear(key)} name(s) of {key} forgotten")
    return 0 if args.no_apply else rerun_media(args, runtime, key)
