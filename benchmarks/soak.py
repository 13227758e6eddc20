"""Soak: many short files through a real ``media-pipeline serve``, the daemon killed half way.

Not a timed test: it reports what happens. N clips of 2-5 s of real speech (cut from the
corpus's long English and German readings at varying offsets and lengths, every one with
distinct bytes, as wav/flac/ogg/mp3), plus a share of bad files (text named .mp3, an empty
file, the first third of a clip, random bytes named .wav), are moved into the inbox of a
fresh data root in a few waves while ``serve`` runs. When about half the good files are
completed (``media-pipeline status --json``), ``dagster-daemon`` is killed with SIGKILL;
``serve`` is expected to start it again (nothing here restarts it). Then it waits until no
library row is pending (or ``--timeout`` minutes), sampling every ~5 s the library counts and
the memory of every process in serve's tree, and finally stops serve with SIGTERM.

    python benchmarks/soak.py                       # 1000 files, 5 % bad
    python benchmarks/soak.py --files 60 --out /tmp/soak-small.json

Writes benchmarks/results/soak.json (or ``--out``): counts, files lost (an inbox file whose
content key has no library row), failed good files, bad files that completed, wall time, per
file overhead, peak RSS per process kind, the size of the Dagster instance and the library,
when the daemon was killed and whether it came back, how long serve took to stop, and any
process left alive after it stopped. Exit code 0 when nothing is pending or lost, no good
file failed, the daemon came back and serve stopped cleanly.
"""

import argparse
import contextlib
import hashlib
import json
import os
import platform
import random
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
LONG = {"en": CORPUS / "long" / "fairytale-en.ogg", "de": CORPUS / "long" / "fairytale-de.ogg"}
RESULTS = ROOT / "benchmarks" / "results"
PCM_RATE = 44100
FORMATS: dict[str, list[str]] = {  # extension -> ffmpeg output options
    "wav": ["-ar", "16000", "-c:a", "pcm_s16le"],
    "flac": ["-ar", "22050", "-c:a", "flac"],
    "ogg": ["-ar", "44100", "-c:a", "libvorbis", "-q:a", "3"],
    "mp3": ["-ar", "24000", "-c:a", "libmp3lame", "-b:a", "48k"],
}
BAD_KINDS = ("text-mp3", "empty", "truncated", "random-wav")
RESTART_WAIT_S = 90.0
MIB = 1024 * 1024


def say(text: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- the files
@dataclass
class InboxFile:
    name: str
    kind: str  # "good" or one of BAD_KINDS
    data: bytes
    seconds: float = 0.0  # audio length of a good clip
    key: str = ""

    def __post_init__(self) -> None:
        self.key = content_key(self.data)


def content_key(data: bytes) -> str:
    """The library's key of these bytes (``store.intake.media_key_of_file``)."""
    return hashlib.sha256(data).hexdigest()[:16]


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    return exe


def decode_pcm(ffmpeg: str, path: Path) -> bytes:
    """The whole file as mono 16-bit PCM at ``PCM_RATE``."""
    out = subprocess.run([ffmpeg, "-v", "error", "-i", str(path), "-ac", "1", "-ar",
                          str(PCM_RATE), "-f", "s16le", "-"], capture_output=True, check=True)
    return out.stdout


def encode(ffmpeg: str, pcm: bytes, ext: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="soak-enc-") as tmp:
        target = Path(tmp) / f"clip.{ext}"
        subprocess.run([ffmpeg, "-v", "error", "-f", "s16le", "-ar", str(PCM_RATE), "-ac", "1",
                        "-i", "-", "-ac", "1", *FORMATS[ext], "-y", str(target)],
                       input=pcm, capture_output=True, check=True)
        return target.read_bytes()


@dataclass(frozen=True)
class Cut:
    lang: str
    start_s: float
    seconds: float
    ext: str


def plan_cuts(rng: random.Random, count: int, lengths: dict[str, float]) -> list[Cut]:
    """``count`` distinct (language, offset, length, format) cuts of 2-5 s."""
    cuts: set[Cut] = set()
    out: list[Cut] = []
    exts = list(FORMATS)
    while len(out) < count:
        lang = rng.choice(sorted(lengths))
        seconds = round(rng.uniform(2.0, 5.0), 2)
        start = round(rng.uniform(0.0, max(0.0, lengths[lang] - seconds - 0.1)), 2)
        cut = Cut(lang, start, seconds, exts[len(out) % len(exts)])
        if cut not in cuts:
            cuts.add(cut)
            out.append(cut)
    return out


def make_files(good: int, bad: int, seed: int, jobs: int) -> list[InboxFile]:
    """``good`` clips of real speech with distinct bytes, then ``bad`` broken files."""
    ffmpeg = ffmpeg_exe()
    rng = random.Random(seed)
    pcm = {lang: decode_pcm(ffmpeg, path) for lang, path in LONG.items()}
    lengths = {lang: len(data) / 2 / PCM_RATE for lang, data in pcm.items()}
    n_truncated = sum(1 for i in range(bad) if bad_kind(i) == "truncated")
    cuts = plan_cuts(rng, good + n_truncated, lengths)

    def clip(cut: Cut) -> bytes:
        first = int(cut.start_s * PCM_RATE) * 2
        return encode(ffmpeg, pcm[cut.lang][first:first + int(cut.seconds * PCM_RATE) * 2],
                      cut.ext)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        encoded = list(pool.map(clip, cuts))
    files: list[InboxFile] = []
    keys: set[str] = set()
    for i, (cut, data) in enumerate(zip(cuts[:good], encoded[:good], strict=True)):
        item = InboxFile(f"clip-{i:05d}-{cut.lang}.{cut.ext}", "good", data, cut.seconds)
        if item.key in keys:
            raise RuntimeError(f"two clips with the same bytes ({item.name})")
        keys.add(item.key)
        files.append(item)
    spare = iter(zip(cuts[good:], encoded[good:], strict=True))
    for i in range(bad):
        kind = bad_kind(i)
        if kind == "text-mp3":
            text = f"this is not audio, only text number {i} ({rng.random():.12f})\n"
            files.append(InboxFile(f"bad-{i:04d}-text.mp3", kind, text.encode() * 40))
        elif kind == "empty":
            files.append(InboxFile(f"bad-{i:04d}-empty.wav", kind, b""))
        elif kind == "truncated":
            cut, data = next(spare)
            files.append(InboxFile(f"bad-{i:04d}-truncated.{cut.ext}", kind,
                                   data[:len(data) // 3]))
        else:
            files.append(InboxFile(f"bad-{i:04d}-random.wav", kind,
                                   rng.randbytes(rng.randint(2_000, 200_000))))
    return files


def bad_kind(i: int) -> str:
    """The kind of the i-th bad file: one empty file (all empty files share one key), the
    other kinds in turn."""
    if i == 1:
        return "empty"
    others = [k for k in BAD_KINDS if k != "empty"]
    return others[(i - (1 if i > 1 else 0)) % len(others)]


def bad_count(files: int, share: float) -> int:
    """Bad files among ``files``: the share, but at least one of each kind when any."""
    if share <= 0:
        return 0
    return min(files // 2, max(round(files * share), len(BAD_KINDS)))


def waves_of(files: list[InboxFile], waves: int, seed: int) -> list[list[InboxFile]]:
    shuffled = list(files)
    random.Random(seed + 1).shuffle(shuffled)
    waves = max(1, min(waves, len(shuffled)))
    return [shuffled[i::waves] for i in range(waves)]


# ---------------------------------------------------------------------------- processes
@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    start: int  # clock ticks after boot: with pid, one process
    argv: tuple[str, ...]
    rss_kib: int
    hwm_kib: int


def proc_table() -> dict[int, Proc]:
    table: dict[int, Proc] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2:].split()
        mem = {k: int(v.split()[0]) for k, _, v in (line.partition(":") for line in
                                                    status.splitlines())
               if k in ("VmRSS", "VmHWM")}
        table[pid] = Proc(pid, int(fields[1]), int(fields[19]),
                          tuple(a.decode(errors="replace") for a in argv if a),
                          mem.get("VmRSS", 0), mem.get("VmHWM", 0))
    return table


def tree(table: dict[int, Proc], root: int) -> list[Proc]:
    """``root`` and its descendants."""
    children: dict[int, list[int]] = {}
    for p in table.values():
        children.setdefault(p.ppid, []).append(p.pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            out.append(table[pid])
            todo.extend(children.get(pid, []))
    return out


def kind_of(proc: Proc, serve_pid: int) -> str:
    if proc.pid == serve_pid:
        return "serve"
    argv = proc.argv
    names = [Path(a).name for a in argv[:2]]
    words = set(argv)
    if "dagster-daemon" in names:
        return "daemon"
    if "dagster-webserver" in names:
        return "webserver"
    if {"api", "grpc"} <= words:
        return "code-server"
    if not argv:
        return "exiting"  # a zombie, or a process between fork and exec
    joined = " ".join(argv)
    if "multiprocessing.spawn" in joined or (
            "api" in words and ({"execute_run", "execute_step", "resume_run"} & words)):
        return "run-worker"  # the code server starts each run with multiprocessing (spawn)
    if "resource_tracker" in joined:
        return "resource-tracker"
    if "tail" in names or "watch_orphans.py" in joined:
        return "log-capture"  # Dagster's compute-log capture of a run (tail -F + watcher)
    if any(n.startswith("ffmpeg") for n in names):
        return "ffmpeg"
    if "media-pipeline" in names:
        return "media-pipeline"
    return names[1] if names and names[0].startswith("python") and len(names) > 1 else (
        names[0] if names else "?")


@dataclass
class Memory:
    """Peak RSS per process kind, from the samples."""

    peak_process_kib: dict[str, int] = field(default_factory=dict)  # max VmHWM of one
    peak_total_kib: dict[str, int] = field(default_factory=dict)  # max sum of VmRSS at once
    pids: dict[str, set[int]] = field(default_factory=dict)
    peak_tree_kib: int = 0
    samples: int = 0

    def add(self, procs: list[Proc], serve_pid: int) -> dict[str, list[Proc]]:
        by_kind: dict[str, list[Proc]] = {}
        for p in procs:
            by_kind.setdefault(kind_of(p, serve_pid), []).append(p)
        for kind, group in by_kind.items():
            self.peak_process_kib[kind] = max(self.peak_process_kib.get(kind, 0),
                                              *(max(p.hwm_kib, p.rss_kib) for p in group))
            self.peak_total_kib[kind] = max(self.peak_total_kib.get(kind, 0),
                                            sum(p.rss_kib for p in group))
            self.pids.setdefault(kind, set()).update(p.pid for p in group)
        self.peak_tree_kib = max(self.peak_tree_kib, sum(p.rss_kib for p in procs))
        self.samples += 1
        return by_kind

    def to_json(self) -> dict[str, Any]:
        return {
            "peak_tree_total_mib": mib(self.peak_tree_kib * 1024),
            "samples": self.samples,
            "by_kind": {kind: {"peak_process_mib": mib(self.peak_process_kib[kind] * 1024),
                               "peak_total_mib": mib(self.peak_total_kib[kind] * 1024),
                               "processes_seen": len(self.pids[kind])}
                        for kind in sorted(self.peak_process_kib)},
        }


def mib(n_bytes: float) -> float:
    return round(n_bytes / MIB, 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def parse_env(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        out[name] = value
    return out


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MEDIA_PIPELINE_") and k != "DAGSTER_HOME"}
    env["MEDIA_PIPELINE_INBOX_SETTLE_S"] = "2"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def dir_bytes(path: Path) -> int:
    total = 0
    for dirpath, _, names in os.walk(path):
        for name in names:
            with contextlib.suppress(OSError):
                total += (Path(dirpath) / name).lstat().st_size
    return total


def alive(proc: Proc) -> bool:
    """The same process (pid and start time) still exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{proc.pid}/stat").read_text()
    except OSError:
        return False
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[19]) == proc.start and fields[0] != "Z"


@contextlib.contextmanager
def terminating_signals() -> Iterator[None]:
    """SIGTERM/SIGHUP to the benchmark unwind through ``finally`` (the tree is killed)."""
    def stop(signum: int, frame: FrameType | None) -> None:
        say(f"signal {signum}: killing serve's process tree, no result written")
        raise SystemExit(128 + signum)

    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


# ---------------------------------------------------------------------------- the soak
@dataclass
class Status:
    rows: list[dict[str, Any]]
    seconds: float
    error: str | None


def library_status(exe: Path, data: Path, env: dict[str, str]) -> Status:
    started = time.monotonic()
    try:
        out = subprocess.run([str(exe), "status", "--data-dir", str(data), "--json"],
                             capture_output=True, text=True, env=env, timeout=300)
    except subprocess.TimeoutExpired:
        return Status([], time.monotonic() - started, "status took over 300 s")
    rows = []
    for line in out.stdout.splitlines():
        if line.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                rows.append(json.loads(line))
    error = None
    if out.returncode != 0:
        error = f"exit {out.returncode}: {out.stderr.strip()[-300:]}"
    return Status(rows, time.monotonic() - started, error)


def waiting_summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Pending rows by why they wait (``status``'s "waiting", run ids and reasons cut off)."""
    out: dict[str, int] = {}
    for row in rows:
        if row["status"] == "pending":
            why = str(row.get("waiting") or "?")
            for cut in (" in run ", " (", ";"):
                why = why.split(cut)[0]
            out[why] = out.get(why, 0) + 1
    return out


@dataclass
class Soak:
    args: argparse.Namespace
    tmp: Path
    files: list[InboxFile]
    exe: Path = field(default_factory=lambda: Path(sys.executable).with_name("media-pipeline"))
    serve: subprocess.Popen[bytes] | None = None
    seen: dict[int, Proc] = field(default_factory=dict)  # every process of serve's tree
    memory: Memory = field(default_factory=Memory)
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return self.tmp / "data"

    def stage(self) -> list[Path]:
        """Write each wave to its own folder beside the inbox (moved in with a rename)."""
        from media_pipeline.store.intake import media_key_of_file

        dirs = []
        for i, wave in enumerate(waves_of(self.files, self.args.waves, self.args.seed)):
            folder = self.tmp / "stage" / f"wave-{i}"
            folder.mkdir(parents=True)
            for item in wave:
                (folder / item.name).write_bytes(item.data)
                if media_key_of_file(folder / item.name) != item.key:
                    raise RuntimeError(f"{item.name}: the project's key differs from ours")
            dirs.append(folder)
        return dirs

    def start_serve(self, env: dict[str, str]) -> float:
        port = free_port()
        log = (self.tmp / "serve.log").open("wb")
        started = time.monotonic()
        self.serve = subprocess.Popen(
            [str(self.exe), "serve", "--data-dir", str(self.data), "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True)
        log.close()
        url = f"http://127.0.0.1:{port}/api/jobs"
        deadline = started + self.args.start_timeout
        while time.monotonic() < deadline:
            if self.serve.poll() is not None:
                raise RuntimeError(f"serve exited with {self.serve.returncode}: "
                                   f"{self.log_tail(1500)}")
            if answers(url):
                return time.monotonic() - started
            self.scan()
            time.sleep(1.0)
        raise RuntimeError(f"serve did not answer {url} in {self.args.start_timeout} s")

    def scan(self) -> dict[str, list[Proc]]:
        """Sample serve's process tree: remember every process, add to the memory peaks."""
        if self.serve is None:
            return {}
        procs = tree(proc_table(), self.serve.pid)
        for p in procs:
            self.seen[p.pid] = p
        return self.memory.add(procs, self.serve.pid) if procs else {}

    def daemons(self, by_kind: dict[str, list[Proc]]) -> list[int]:
        return sorted(p.pid for p in by_kind.get("daemon", []))

    def log_tail(self, chars: int) -> str:
        path = self.tmp / "serve.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def run(self) -> int:
        args = self.args
        env = child_env(parse_env(args.env))
        good = [f for f in self.files if f.kind == "good"]
        good_keys = {f.key for f in good}
        expected = {f.key for f in self.files}
        waves = self.stage()
        inbox = self.data / "inbox"
        inbox.mkdir(parents=True)
        say(f"starting serve on {self.data} …")
        startup_s = self.start_serve(env)
        say(f"serve answers after {startup_s:.1f} s")
        t0 = time.monotonic()
        next_wave, dropped = t0, 0
        killed: dict[str, Any] | None = None
        restarted_at: float | None = None
        new_daemon: int | None = None
        idle_since: float | None = None
        last_rows, last_change = -1, t0
        status_times: list[float] = []
        status_errors: list[str] = []
        timeline: list[list[Any]] = []
        waiting_peak: dict[str, int] = {}
        status = Status([], 0.0, None)
        point: list[Any] = []
        deadline = t0 + args.timeout * 60
        timed_out = False
        while True:
            now = time.monotonic()
            while dropped < len(waves) and now >= next_wave:
                for path in sorted(waves[dropped].iterdir()):
                    os.replace(path, inbox / path.name)
                say(f"wave {dropped + 1}/{len(waves)}: "
                    f"{sum(1 for _ in inbox.iterdir())} files in the inbox")
                dropped += 1
                next_wave += args.wave_interval
            assert self.serve is not None
            if self.serve.poll() is not None:
                raise RuntimeError(f"serve exited with {self.serve.returncode} during the soak: "
                                   f"{self.log_tail(1500)}")
            by_kind = self.scan()
            status = library_status(self.exe, self.data, env)
            status_times.append(status.seconds)
            if status.error and "no library at" not in status.error:
                status_errors.append(status.error)
            rows = status.rows
            count = {s: sum(r["status"] == s for r in rows)
                     for s in ("completed", "failed", "pending")}
            good_done = sum(r["status"] == "completed" and r["key"] in good_keys for r in rows)
            missing = expected - {r["key"] for r in rows}
            now = time.monotonic()
            if len(rows) != last_rows:
                last_rows, last_change = len(rows), now
            all_in = dropped == len(waves)
            idle = all_in and bool(rows) and count["pending"] == 0
            if idle and not missing:
                idle_since = idle_since or now
            elif not idle:
                idle_since = None
            tree_mib = mib(sum(p.rss_kib for g in by_kind.values() for p in g) * 1024)
            why = waiting_summary(rows)
            for reason, n in why.items():
                waiting_peak[reason] = max(waiting_peak.get(reason, 0), n)
            say(f"t={now - t0:5.0f}s waves {dropped}/{len(waves)} rows {len(rows)}/"
                f"{len(expected)}: completed {count['completed']} (good {good_done}/"
                f"{len(good)}), failed {count['failed']}, pending {count['pending']}; "
                f"daemon {self.daemons(by_kind) or '-'}; tree {tree_mib} MiB; "
                f"status {status.seconds:.1f}s" + (f"; {status.error}" if status.error else "")
                + (f"; waiting: {why}" if why else ""))
            point = [round(now - t0), count["completed"], count["failed"], count["pending"],
                     tree_mib]
            if not timeline or now - t0 - timeline[-1][0] >= args.timeline_s:
                timeline.append(point)
            # the daemon dies once, about half way (or when all is idle before that)
            if killed is None and (good_done >= len(good) * args.kill_at
                                   or (idle and not missing)):
                pids = self.daemons(by_kind)
                if pids:
                    for pid in pids:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                    killed = {"at_s": round(now - t0, 1), "pids": pids,
                              "good_completed_then": good_done,
                              "good_completed_share": round(good_done / max(1, len(good)), 3),
                              "pending_then": count["pending"],
                              "rows_then": len(rows), "wall_clock": time.time()}
                    say(f"killed dagster-daemon {pids} with SIGKILL ({good_done}/{len(good)} "
                        f"good completed, {count['pending']} pending)")
                    idle_since = None
            if killed is not None and restarted_at is None:
                restarted_at, new_daemon = self.wait_restart(killed, now, next_check=5.0)
            restart_known = killed is not None and (
                restarted_at is not None
                or now - (t0 + killed["at_s"]) >= args.restart_wait)
            lost_settled = not missing or now - last_change >= args.lost_grace
            if idle and lost_settled and restart_known:
                break
            if now >= deadline:
                timed_out = True
                say(f"time limit of {args.timeout} min reached")
                break
            time.sleep(max(0.0, args.sample_s - (time.monotonic() - now)))
        if timeline and timeline[-1] is not point:
            timeline.append(point)  # the last sample, always
        end = time.monotonic()
        wall_s = (idle_since or end) - t0
        final_rows = status.rows
        stop = self.stop_serve()
        after = library_status(self.exe, self.data, env)
        if after.rows and not after.error:
            final_rows = after.rows
        self.result = self.report(final_rows, startup_s, wall_s, end - t0, timed_out, killed,
                                  restarted_at, new_daemon, stop, status_times, status_errors,
                                  timeline)
        self.result["waiting_peak"] = waiting_peak
        ok = (self.result["pending"] == 0 and not self.result["lost_rows"]
              and not self.result["failed_good_files"] and self.result["daemon_restarted"]
              and not stop["left_alive"] and not stop["sigkill_needed"])
        return 0 if ok else 1

    def wait_restart(self, killed: dict[str, Any], now: float,
                     next_check: float) -> tuple[float | None, int | None]:
        """Look for a new daemon in serve's tree, briefly and often (the coarse samples
        would blur how long the restart took)."""
        t_kill = killed["wall_clock"]
        until = time.monotonic() + next_check
        while True:
            by_kind = self.scan()
            fresh = [pid for pid in self.daemons(by_kind) if pid not in killed["pids"]]
            if fresh:
                waited = time.time() - t_kill
                say(f"a new dagster-daemon is running (pid {fresh[0]}) {waited:.1f} s after "
                    f"the kill")
                return waited, fresh[0]
            if time.monotonic() >= until:
                return None, None
            time.sleep(0.5)

    def stop_serve(self) -> dict[str, Any]:
        """SIGTERM to serve; how long it took; what of its tree was left alive."""
        assert self.serve is not None
        self.scan()
        started = time.monotonic()
        self.serve.send_signal(signal.SIGTERM)
        sigkill = False
        try:
            code = self.serve.wait(timeout=self.args.stop_timeout)
        except subprocess.TimeoutExpired:
            sigkill = True
            self.serve.kill()
            code = self.serve.wait(timeout=30)
        seconds = time.monotonic() - started
        time.sleep(2.0)  # children that outlive serve by a moment are not "left alive"
        left = [p for p in self.seen.values() if p.pid != self.serve.pid and alive(p)]
        say(f"serve stopped in {seconds:.1f} s (exit {code})"
            + (f"; still alive: {[(p.pid, kind_of(p, -1)) for p in left]}" if left else ""))
        return {"seconds": round(seconds, 2), "exit_code": code, "sigkill_needed": sigkill,
                "left_alive": [{"pid": p.pid, "kind": kind_of(p, -1),
                                "cmd": " ".join(p.argv)[:200]} for p in left]}

    def kill_tree(self) -> None:
        """SIGKILL whatever of serve's tree is still alive (always, on the way out)."""
        if self.serve is not None and self.serve.poll() is None:
            self.scan()
            self.serve.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.serve.wait(timeout=10)
        for p in self.seen.values():
            if alive(p):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(p.pid, signal.SIGKILL)

    def report(self, rows: list[dict[str, Any]], startup_s: float, wall_s: float,
               elapsed_s: float, timed_out: bool, killed: dict[str, Any] | None,
               restarted_s: float | None, new_daemon: int | None, stop: dict[str, Any],
               status_times: list[float], status_errors: list[str],
               timeline: list[list[Any]]) -> dict[str, Any]:
        by_key = {r["key"]: r for r in rows}
        good = [f for f in self.files if f.kind == "good"]
        bad = [f for f in self.files if f.kind != "good"]
        count = {s: sum(r["status"] == s for r in rows) for s in ("completed", "failed",
                                                                    "pending")}
        lost = [{"name": f.name, "kind": f.kind, "key": f.key} for f in self.files
                if f.key not in by_key]
        unnamed = [f.name for f in self.files
                   if f.key in by_key and f.name not in (by_key[f.key].get("names") or [])]
        done_good = [f for f in good if by_key.get(f.key, {}).get("status") == "completed"]
        audio_s = sum(f.seconds for f in done_good)
        pending = [{"key": r["key"], "names": r.get("names"), "waiting": r.get("waiting")}
                   for r in rows if r["status"] == "pending"]
        dagster_home = self.data / "dagster_home"
        library = [p for p in self.data.glob("library.duckdb*") if p.is_file()]
        bad_by_kind: dict[str, dict[str, int]] = {}
        for f in bad:
            status = by_key.get(f.key, {}).get("status", "no row")
            bad_by_kind.setdefault(f.kind, {}).setdefault(status, 0)
            bad_by_kind[f.kind][status] += 1
        return {
            "files": {"total": len(self.files), "good": len(good), "bad": len(bad),
                      "bad_kinds": {k: sum(f.kind == k for f in bad) for k in BAD_KINDS},
                      "distinct_keys": len({f.key for f in self.files}),
                      "formats": {ext: sum(f.name.endswith(f".{ext}") for f in good)
                                  for ext in FORMATS},
                      "good_audio_s": round(sum(f.seconds for f in good), 1),
                      "waves": self.args.waves, "wave_interval_s": self.args.wave_interval},
            "rows": len(rows),
            "completed": count["completed"],
            "failed": count["failed"],
            "pending": count["pending"],
            "good_completed": len(done_good),
            "lost_rows": lost,
            "inbox_names_missing_from_rows": unnamed,
            "failed_good_files": [
                {"name": f.name, "key": f.key, "error": by_key[f.key].get("error")}
                for f in good if by_key.get(f.key, {}).get("status") == "failed"],
            "bad_files": bad_by_kind,
            "bad_file_errors": {f.name: by_key[f.key].get("error") for f in bad
                                if by_key.get(f.key, {}).get("status") == "failed"},
            "bad_files_completed": [
                {"name": f.name, "kind": f.kind, "key": f.key} for f in bad
                if by_key.get(f.key, {}).get("status") == "completed"],
            "bad_files_failed_without_error": [
                f.name for f in bad if by_key.get(f.key, {}).get("status") == "failed"
                and not by_key[f.key].get("error")],
            "pending_rows": pending,
            "timed_out": timed_out,
            "startup_s": round(startup_s, 1),
            "wall_s": round(wall_s, 1),
            "elapsed_s": round(elapsed_s, 1),
            "per_file_s": round(wall_s / count["completed"], 3) if count["completed"] else None,
            "completed_audio_s": round(audio_s, 1),
            "audio_s_per_wall_s": round(audio_s / wall_s, 3) if wall_s else None,
            "memory": self.memory.to_json(),
            "instance_bytes": dir_bytes(dagster_home) if dagster_home.exists() else 0,
            "library_bytes": sum(p.stat().st_size for p in library),
            "artifacts_bytes": dir_bytes(self.data / "artifacts"),
            "media_bytes": dir_bytes(self.data / "media"),
            "logs_bytes": dir_bytes(self.data / "logs"),
            "dagster_runs": dagster_runs(dagster_home),
            "daemon_kill": None if killed is None else {
                k: v for k, v in killed.items() if k != "wall_clock"},
            "daemon_restarted": restarted_s is not None,
            "daemon_restart_s": None if restarted_s is None else round(restarted_s, 1),
            "daemon_new_pid": new_daemon,
            "stop": stop,
            "status_call_s": {"median": round(statistics.median(status_times), 2),
                              "max": round(max(status_times), 2),
                              "calls": len(status_times)} if status_times else None,
            "status_errors": status_errors[:10],
            "serve_log": [line for line in self.log_tail(200_000).splitlines()
                          if any(w in line for w in ("exited", "restart", "up again",
                                                     "error", "Error"))][-30:],
            "timeline": {"columns": ["t_s", "completed", "failed", "pending", "tree_rss_mib"],
                         "rows": timeline},
            "settings": {"env": {k: v for k, v in child_env(parse_env(self.args.env)).items()
                                 if k.startswith(("MEDIA_PIPELINE_", "MAX_"))},
                         "seed": self.args.seed},
            "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                        "platform": platform.platform(), "memory_mib": memory_mib()},
            "command": shlex.join(["python", *sys.argv]),
            "note": "soak, not a timed test: wall_s runs from the first wave until no row is "
                    "pending; per_file_s = wall_s / completed rows; peak RSS per process kind "
                    "is sampled from /proc (VmHWM of each process, and the largest sum of "
                    "VmRSS of a kind at one sample); the daemon is killed once with SIGKILL "
                    "when half the good files are completed and nothing here restarts it",
        }


def dagster_runs(home: Path) -> dict[str, Any]:
    """Runs left in the instance by status (finished runs past MAX_FINISHED_JOBS are pruned),
    and how many were launched by each sensor."""
    try:
        import dagster as dg

        with dg.DagsterInstance.from_config(str(home)) as instance:
            runs = instance.get_runs()
    except Exception as exc:  # the report matters more than this figure
        return {"error": str(exc)[:300]}
    by_status: dict[str, int] = {}
    by_origin: dict[str, int] = {}
    for run in runs:
        by_status[run.status.value] = by_status.get(run.status.value, 0) + 1
        origin = run.tags.get("dagster/sensor_name") or run.tags.get(
            "dagster/schedule_name") or "other"
        by_origin[origin] = by_origin.get(origin, 0) + 1
    return {"kept": len(runs), "by_status": by_status, "by_origin": by_origin}


def memory_mib() -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="files in all (default 1000)")
    parser.add_argument("--bad-share", type=float, default=0.05,
                        help="share of bad files (default 0.05; at least one of each kind)")
    parser.add_argument("--out", type=Path, default=RESULTS / "soak.json")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="minutes to wait for no pending row (default 60)")
    parser.add_argument("--waves", type=int, default=4, help="inbox drops (default 4)")
    parser.add_argument("--wave-interval", type=float, default=20.0,
                        help="seconds between drops (default 20)")
    parser.add_argument("--sample-s", type=float, default=5.0, help="sampling period")
    parser.add_argument("--kill-at", type=float, default=0.5,
                        help="kill the daemon at the first sample where this share of the good "
                             "files is completed (default 0.5; completions come a batch at a "
                             "time, so a small run may jump past it)")
    parser.add_argument("--restart-wait", type=float, default=RESTART_WAIT_S,
                        help="seconds to wait for serve to start the daemon again (default 90)")
    parser.add_argument("--lost-grace", type=float, default=180.0,
                        help="when nothing is pending but inbox files have no row, seconds "
                             "without a new row before they count as lost (default 180)")
    parser.add_argument("--start-timeout", type=float, default=300.0,
                        help="seconds for serve to answer /api/jobs (default 300)")
    parser.add_argument("--stop-timeout", type=float, default=60.0,
                        help="seconds for serve to stop after SIGTERM before SIGKILL")
    parser.add_argument("--timeline-s", type=float, default=30.0,
                        help="spacing of the timeline kept in the result (default 30)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an extra environment variable for serve (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data root")
    parser.add_argument("--tmp-dir", type=Path, default=None,
                        help="where the temporary data root goes")
    args = parser.parse_args(argv)
    if any("=" not in kv for kv in args.env):
        parser.error("--env takes NAME=VALUE")
    n_bad = bad_count(args.files, args.bad_share)
    say(f"making {args.files - n_bad} clips and {n_bad} bad files …")
    started = time.monotonic()
    files = make_files(args.files - n_bad, n_bad, args.seed, os.cpu_count() or 1)
    say(f"made {len(files)} files in {time.monotonic() - started:.1f} s")
    tmp = Path(tempfile.mkdtemp(prefix="soak-", dir=args.tmp_dir))
    soak = Soak(args, tmp, files)
    code = 1
    with terminating_signals():
        try:
            code = soak.run()
        except Exception as exc:  # still write what is known, then the error
            say(f"error: {exc}")
            soak.result = {"error": str(exc)[:2000], "serve_log_tail": soak.log_tail(3000),
                           "command": shlex.join(["python", *sys.argv])}
        finally:
            soak.kill_tree()
            if args.keep:
                say(f"kept {tmp}")
            else:
                import shutil

                shutil.rmtree(tmp, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(soak.result, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    r = soak.result
    if "error" in r:
        return 1
    say(f"{r['completed']} completed, {r['failed']} failed, {r['pending']} pending, "
        f"{len(r['lost_rows'])} lost; {r['per_file_s']} s/file; daemon restarted: "
        f"{r['daemon_restarted']}; stopped in {r['stop']['seconds']} s -> {args.out}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
