// The review page: hash routes (#/ library, #/job/<id>?t=<ms> editor, #/narrate narration),
// the token prompt when the server wants one, and drag and drop of media anywhere.

import { ApiError, getJson, send, setUnauthorizedHandler } from "./api";
import { announce, h, setChildren } from "./dom";
import { editorPage } from "./editor_page";
import { libraryPage } from "./library";
import { narratePage } from "./narrate";
import { uploadFiles } from "./upload";

interface Session { auth_required: boolean; authenticated: boolean }

const main = document.getElementById("main") as HTMLElement;
let cleanup: (() => void) | null = null;
let asking = false;

function route(): void {
  if (location.hash && !location.hash.startsWith("#/")) return;  // an in-page anchor
  cleanup?.();
  cleanup = null;
  announce("");
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?", 2);
  const params = new URLSearchParams(query ?? "");
  document.querySelectorAll("nav a").forEach((a) => {
    const target = (a.getAttribute("href") ?? "").replace(/^#/, "");
    a.toggleAttribute("aria-current", target === path || (target === "/" && path === ""));
  });
  const job = /^\/job\/([^/]+)$/.exec(path);
  if (job) {
    const t = Number(params.get("t"));
    document.title = "Editor · media_pipeline";
    cleanup = editorPage(main, decodeURIComponent(job[1]),
      params.has("t") && Number.isFinite(t) ? t : null);
  } else if (path === "/narrate") {
    document.title = "Narration · media_pipeline";
    cleanup = narratePage(main);
  } else {
    document.title = "Library · media_pipeline";
    cleanup = libraryPage(main);
  }
  main.focus({ preventScroll: true });
}

/** Ask for the API token once; the server keeps it in an HttpOnly cookie. */
function askToken(): Promise<void> {
  asking = true;
  return new Promise((resolve) => {
    const input = h("input", { id: "token", type: "password", autocomplete: "current-password",
      required: true });
    const message = h("p", { class: "error", role: "alert" });
    const dialog = h("dialog", { class: "token-dialog", "aria-labelledby": "token-title" },
      h("form", { onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          await send("POST", "/api/session", { token: input.value });
          dialog.close();
          dialog.remove();
          asking = false;
          resolve();
        } catch (err) {
          message.textContent = err instanceof ApiError && err.status === 401
            ? "That token is not the server's." : (err as Error).message;
        }
      } }, h("h2", { id: "token-title" }, "This server wants its API token"),
      h("label", { for: "token" }, "Token (MEDIA_PIPELINE_API_TOKEN)"), input, message,
      h("button", { type: "submit" }, "Continue")));
    dialog.addEventListener("cancel", (e) => e.preventDefault());
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}

async function start(): Promise<void> {
  try {
    const session = await getJson<Session>("/api/session");
    if (session.auth_required && !session.authenticated) await askToken();
  } catch { /* no session route: no token needed */ }
  setUnauthorizedHandler(() => {
    if (!asking) void askToken().then(route);
  });
  window.addEventListener("hashchange", route);
  route();
}

function dropZone(): void {
  const overlay = document.getElementById("drop") as HTMLElement;
  let depth = 0;
  const hasFiles = (e: DragEvent): boolean => e.dataTransfer?.types.includes("Files") ?? false;
  document.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    depth += 1;
    overlay.hidden = false;
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) overlay.hidden = true;
  });
  document.addEventListener("dragover", (e) => {
    if (hasFiles(e)) e.preventDefault();
  });
  document.addEventListener("drop", (e) => {
    depth = 0;
    overlay.hidden = true;
    if (!e.dataTransfer?.files.length) return;
    e.preventDefault();
    uploadFiles(e.dataTransfer.files);
    if (location.hash && location.hash !== "#/") location.hash = "#/";
  });
}

dropZone();
setChildren(document.getElementById("status") as HTMLElement);
void start();
