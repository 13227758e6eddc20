// Builds the review page into media_pipeline/web/static (or --outdir DIR): app.js, app.css,
// index.html and the vendored Swagger UI / Redoc bundles, then build-manifest.json with the
// sha256 of every source and output file, which a Python test checks without Node.
// Deterministic: the same sources and lockfile give the same bytes (no timestamps).
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const web = dirname(fileURLToPath(import.meta.url));
const repo = resolve(web, "..");
const at = process.argv.indexOf("--outdir");
const outdir = at > 0 ? resolve(process.argv[at + 1]) : join(repo, "media_pipeline/web/static");

const VENDOR = {
  "vendor/swagger-ui/swagger-ui-bundle.js": "node_modules/swagger-ui-dist/swagger-ui-bundle.js",
  "vendor/swagger-ui/swagger-ui.css": "node_modules/swagger-ui-dist/swagger-ui.css",
  "vendor/swagger-ui/LICENSE": "node_modules/swagger-ui-dist/LICENSE",
  "vendor/redoc/redoc.standalone.js": "node_modules/redoc/bundles/redoc.standalone.js",
  "vendor/redoc/redoc.standalone.js.LICENSE.txt":
    "node_modules/redoc/bundles/redoc.standalone.js.LICENSE.txt",
  "vendor/redoc/LICENSE": "node_modules/redoc/LICENSE",
  "vendor/wavesurfer.js/LICENSE": "node_modules/wavesurfer.js/LICENSE",
};

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const posix = (path) => path.split(sep).join("/");

function filesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

async function bundle(entry, options = {}) {
  const result = await esbuild.build({
    entryPoints: [join(web, entry)], bundle: true, minify: true, write: false,
    target: ["es2020", "chrome100", "firefox100", "safari15"], charset: "utf8",
    legalComments: "eof", logLevel: "warning", outdir: "out", ...options,
  });
  return result.outputFiles[0].contents;
}

const outputs = new Map();
outputs.set("app.js", await bundle("src/main.ts", { format: "iife" }));
outputs.set("app.css", await bundle("src/app.css"));
const html = readFileSync(join(web, "src/index.html"), "utf8")
  .replace("%JS_HASH%", sha256(outputs.get("app.js")).slice(0, 12))
  .replace("%CSS_HASH%", sha256(outputs.get("app.css")).slice(0, 12));
outputs.set("index.html", Buffer.from(html, "utf8"));
for (const [name, from] of Object.entries(VENDOR)) outputs.set(name, readFileSync(join(web, from)));

// The output folder holds exactly what this build makes.
mkdirSync(outdir, { recursive: true });
for (const path of filesUnder(outdir)) {
  const name = posix(relative(outdir, path));
  if (!outputs.has(name) && name !== "build-manifest.json") rmSync(path);
}
for (const [name, bytes] of outputs) {
  mkdirSync(dirname(join(outdir, name)), { recursive: true });
  writeFileSync(join(outdir, name), bytes);
}

const sourcePaths = [join(web, "build.mjs"), join(web, "package.json"),
  join(web, "package-lock.json"), join(web, "tsconfig.json"), ...filesUnder(join(web, "src"))];
const sources = Object.fromEntries(sourcePaths.map((p) =>
  [posix(relative(repo, p)), sha256(readFileSync(p))]).sort(([a], [b]) => (a < b ? -1 : 1)));
const built = Object.fromEntries([...outputs].map(([name, bytes]) => [name, sha256(bytes)])
  .sort(([a], [b]) => (a < b ? -1 : 1)));
const manifest = {
  about: "Written by web/build.mjs (make web). media_pipeline_tests/web checks these hashes.",
  sources, outputs: built,
};
writeFileSync(join(outdir, "build-manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`built ${outputs.size} files into ${posix(relative(repo, outdir)) || outdir}`);
