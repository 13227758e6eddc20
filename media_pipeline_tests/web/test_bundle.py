"""The committed browser bundle (media_pipeline/web/static) is the build of web/'s sources.

``make web`` writes ``build-manifest.json`` with the sha256 of every source it read and every
file it wrote; this checks both sides without Node. With Node and web/node_modules present,
a slow test also rebuilds into a temporary folder and compares the bytes.
"""

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from media_pipeline.web import STATIC_DIR

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
MANIFEST = STATIC_DIR / "build-manifest.json"
HINT = "the committed bundle is not the build of web/: run `make web` and commit the result"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return data


def source_files() -> list[str]:
    """What the build reads: its script, npm's files, tsconfig and everything in web/src."""
    fixed = ["build.mjs", "package.json", "package-lock.json", "tsconfig.json"]
    paths = [WEB / name for name in fixed] + sorted(p for p in (WEB / "src").rglob("*")
                                                    if p.is_file())
    return sorted(p.relative_to(ROOT).as_posix() for p in paths)


def test_sources_match_the_manifest() -> None:
    if not WEB.is_dir():
        pytest.skip("no web/ sources beside this package (an installed copy)")
    recorded = manifest()["sources"]
    assert sorted(recorded) == source_files(), HINT
    changed = [name for name, digest in recorded.items() if sha256(ROOT / name) != digest]
    assert not changed, f"{HINT} (changed since the last build: {', '.join(changed)})"


def test_outputs_match_the_manifest() -> None:
    recorded = manifest()["outputs"]
    present = sorted(p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*")
                     if p.is_file() and p != MANIFEST)
    assert present == sorted(recorded), HINT
    changed = [name for name, digest in recorded.items() if sha256(STATIC_DIR / name) != digest]
    assert not changed, f"{HINT} (edited by hand: {', '.join(changed)})"
    assert {"index.html", "app.js", "app.css", "vendor/swagger-ui/swagger-ui-bundle.js",
            "vendor/swagger-ui/swagger-ui.css", "vendor/redoc/redoc.standalone.js"} <= set(present)


def test_page_loads_its_own_bundle() -> None:
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    js, css = sha256(STATIC_DIR / "app.js")[:12], sha256(STATIC_DIR / "app.css")[:12]
    assert f'src="/static/app.js?v={js}"' in html and f'href="/static/app.css?v={css}"' in html
    assert "http://" not in html and "https://" not in html  # nothing from the internet


@pytest.mark.slow
def test_rebuild_gives_the_same_bytes(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (WEB / "node_modules" / ".bin" / "esbuild").exists():
        pytest.skip("needs node and web/node_modules (cd web && npm ci)")
    subprocess.run([node, "build.mjs", "--outdir", str(tmp_path)], cwd=WEB, check=True,
                   capture_output=True, timeout=120)
    rebuilt = json.loads((tmp_path / "build-manifest.json").read_text(encoding="utf-8"))
    assert rebuilt == manifest(), HINT
    for name in rebuilt["outputs"]:
        assert (tmp_path / name).read_bytes() == (STATIC_DIR / name).read_bytes(), name
