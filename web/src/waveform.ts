// The editor's waveform: wavesurfer.js on the page's own <video>/<audio>, fed with the server's
// precomputed peaks (nothing is decoded in the browser). Three region layers: speech (not
// draggable), low-confidence words, and the cues, whose edges drag to retime them.

import WaveSurfer from "wavesurfer.js";
import RegionsPlugin, { Region } from "wavesurfer.js/plugins/regions";
import { LowWord, Segment, Waveform } from "./api";

const CUE = "rgba(37, 99, 235, 0.22)";
const CUE_SELECTED = "rgba(37, 99, 235, 0.42)";
const SPEECH = "rgba(22, 163, 74, 0.16)";
const LOW = "rgba(220, 38, 38, 0.45)";

export interface WaveformHandlers {
  retime: (id: number, startMs: number, endMs: number) => void;
  select: (id: number) => void;
}

/** One channel of absolute peaks, -1..1, from audiowaveform's [min, max, ...] pairs. */
export function channelPeaks(waveform: Waveform): Float32Array {
  const { data, bits } = waveform.peaks;
  const scale = 2 ** ((bits || 8) - 1);
  const out = new Float32Array(Math.floor(data.length / 2));
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.min(1, Math.max(Math.abs(data[2 * i]), Math.abs(data[2 * i + 1])) / scale);
  }
  return out;
}

export class WaveformView {
  private readonly ws: WaveSurfer;
  private readonly speech: RegionsPlugin;
  private readonly low: RegionsPlugin;
  private readonly cues: RegionsPlugin;
  private selected: number | null = null;
  private ready = false;
  private segments: Segment[] = [];
  private lowWords: LowWord[] = [];

  constructor(container: HTMLElement, media: HTMLMediaElement, waveform: Waveform,
              durationS: number, private readonly handlers: WaveformHandlers) {
    this.speech = RegionsPlugin.create();
    this.low = RegionsPlugin.create();
    this.cues = RegionsPlugin.create();
    this.ws = WaveSurfer.create({
      container, media, peaks: [channelPeaks(waveform)], duration: durationS, height: 96,
      waveColor: "#64748b", progressColor: "#1e3a8a", cursorColor: "#dc2626",
      cursorWidth: 2, normalize: true, minPxPerSec: 1, autoScroll: true, autoCenter: true,
      dragToSeek: false, plugins: [this.speech, this.low, this.cues],
    });
    // Regions added before the duration is known would be clamped to 0: wait for "ready".
    this.ws.once("ready", () => {
      this.ready = true;
      this.drawCues();
      this.drawLowWords();
      for (const r of waveform.speech_regions) {
        const region = this.speech.addRegion({ start: r.start_ms / 1000, end: r.end_ms / 1000,
          color: SPEECH, drag: false, resize: false });
        if (region.element) region.element.style.pointerEvents = "none";
      }
    });
    this.cues.on("region-updated", (region: Region) => {
      const id = Number(region.id.replace("cue-", ""));
      this.handlers.retime(id, Math.round(region.start * 1000), Math.round(region.end * 1000));
    });
    this.cues.on("region-clicked", (region: Region) => {
      this.handlers.select(Number(region.id.replace("cue-", "")));
    });
  }

  /** Pixels per second (0 = fit the whole media in the view). */
  zoom(pxPerS: number): void {
    this.ws.zoom(pxPerS);
  }

  setCues(segments: Segment[]): void {
    this.segments = segments;
    if (this.ready) this.drawCues();
  }

  private drawCues(): void {
    this.cues.clearRegions();
    for (const s of this.segments) {
      const label = document.createElement("span");
      // Inline style: the regions live in wavesurfer's shadow DOM, out of app.css's reach.
      label.style.cssText = "font-size:11px;line-height:1.25;color:#1e3a8a;padding:1px 4px;" +
        "white-space:nowrap;overflow:hidden;text-overflow:ellipsis;display:block;max-width:100%";
      label.textContent = s.text.replace(/\n/g, " ").slice(0, 60);
      this.cues.addRegion({ id: `cue-${s.id}`, start: s.start_ms / 1000, end: s.end_ms / 1000,
        color: s.id === this.selected ? CUE_SELECTED : CUE, drag: true, resize: true,
        content: label, minLength: 0.05 });
    }
  }

  setLowWords(words: LowWord[]): void {
    this.lowWords = words;
    if (this.ready) this.drawLowWords();
  }

  private drawLowWords(): void {
    this.low.clearRegions();
    for (const w of this.lowWords) {
      const region = this.low.addRegion({ start: w.start_ms / 1000,
        end: Math.max(w.end_ms, w.start_ms + 40) / 1000, color: LOW, drag: false, resize: false });
      if (region.element) {
        region.element.style.pointerEvents = "none";
        region.element.style.top = "80%";
        region.element.style.height = "20%";
        region.element.title = `${w.text} (${Math.round(w.p * 100)}%)`;
      }
    }
  }

  select(id: number | null): void {
    this.selected = id;
    for (const region of this.cues.getRegions()) {
      region.setOptions({ color: region.id === `cue-${id}` ? CUE_SELECTED : CUE });
    }
  }

  destroy(): void {
    this.ws.destroy();
  }
}
