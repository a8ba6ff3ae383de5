import { decodeDat } from '../audio/waveform-dat.js';
import { Engine } from './engine.js';
import { presetStrips, unityStrip, type Preset, type StripState } from './mixer-math.js';
import type { PackageInfo, WorkletStatus } from './protocol.js';

/** What /api/packages answers. */
interface Catalogue {
  packages: PackageInfo[];
  peakLevels: number[];
}

interface Finding {
  rule: string;
  severity: string;
  message: string;
  stem?: string | null;
  ranges?: [number, number][];
}

interface Peaks {
  samplesPerPixel: number;
  minMax: Int16Array;
}

const $ = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
};

const dbText = (db: number) => (db === -Infinity || db < -99 ? '−∞' : `${db > 0 ? '+' : ''}${db.toFixed(1)}`);
const toDb = (x: number) => (x > 0 ? 20 * Math.log10(x) : -Infinity);
const panLabel = (pan: number) => (Math.abs(pan) < 0.005 ? 'C' : `${pan < 0 ? 'L' : 'R'}${Math.round(Math.abs(pan) * 100)}`);
const clock = (sec: number) => `${Math.floor(sec / 60)}:${(sec % 60).toFixed(2).padStart(5, '0')}`;

/** The mixer page of one package. */
class Mixer {
  private strips: StripState[];
  private readonly stems: PackageInfo['tracks'];
  private loop: [number, number] | null = null;
  private loopOn = false;
  // B by default: at unity it is the mix, sample for sample, and the strips act on what is heard.
  private monitor: 'A' | 'B' | 'C' = 'B';
  private focused = 0;
  private readonly peaks = new Map<number, Peaks>();
  private findings: Finding[] = [];
  private readonly lanes: { canvas: HTMLCanvasElement; track: number }[] = [];
  private readonly meters: { canvas: HTMLCanvasElement; text: HTMLElement }[] = [];
  private readonly stripEls: HTMLElement[] = [];
  private masterMeter!: { canvas: HTMLCanvasElement; text: HTMLElement };
  private findingsBar!: HTMLCanvasElement;
  private timeEl!: HTMLElement;
  private playButton!: HTMLButtonElement;
  private loopButton!: HTMLButtonElement;
  private monitorButtons: HTMLButtonElement[] = [];
  private drag: { from: number; canvas: HTMLCanvasElement; moved: boolean } | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly pkg: PackageInfo,
    private readonly levels: number[],
    private readonly root: HTMLElement,
  ) {
    this.stems = pkg.tracks.filter((t) => t.role === 'stem');
    this.strips = this.stems.map(() => unityStrip());
    this.build();
    engine.onStatus = (s) => this.onStatus(s);
    document.addEventListener('keydown', (e) => this.key(e));
    void this.loadPeaks();
    void this.loadFindings();
  }

  get state() {
    return { strips: this.strips.map((s) => ({ ...s })), loop: this.loopOn ? this.loop : null, monitor: this.monitor, focused: this.focused };
  }

  private build(): void {
    const { pkg } = this;
    this.playButton = $('button', { class: 'play', title: 'play / pause (space)' }, '▶');
    this.playButton.onclick = () => void this.togglePlay();
    this.loopButton = $('button', { class: 'loop', title: 'loop the dragged region (L)' }, '⟲ loop');
    this.loopButton.onclick = () => this.toggleLoop();
    this.timeEl = $('span', { class: 'time' }, '0:00.00');
    const monitors = $('div', { class: 'seg', title: 'A: the mix · B: the stems at the faders · C: the residual (mix − stems)' });
    for (const m of ['A', 'B', 'C'] as const) {
      const b = $('button', { 'data-monitor': m }, { A: 'A mix', B: 'B stems', C: 'C residual' }[m]);
      b.onclick = () => this.setMonitor(m);
      this.monitorButtons.push(b);
      monitors.append(b);
    }
    const presets = $('div', { class: 'seg presets' });
    for (const [p, label] of [['full', 'Full'], ['instrumental', 'Instrumental'], ['a-cappella', 'A cappella'], ['tv', 'TV mix']] as [Preset, string][]) {
      const b = $('button', { 'data-preset': p }, label);
      b.onclick = () => this.applyPreset(p);
      presets.append(b);
    }
    this.masterMeter = this.meter('master');
    const header = $(
      'header',
      {},
      $('h1', {}, pkg.title),
      $('span', { class: 'fmt' }, `${pkg.sampleRate / 1000} kHz · ${pkg.channels} ch · ${clock(pkg.frames / pkg.sampleRate)} · ${this.engine.isolated ? 'shared rings' : 'fallback (not isolated)'}`),
    );
    const transport = $('div', { class: 'transport' }, this.playButton, this.timeEl, this.loopButton, monitors, presets, $('div', { class: 'master' }, $('span', { class: 'label' }, 'master'), this.masterMeter.canvas, this.masterMeter.text));
    const timeline = this.lane(pkg.tracks.find((t) => t.role === 'mix')?.index ?? this.stems[0]!.index, 'timeline');
    const stripsEl = $('div', { class: 'strips' });
    this.stems.forEach((track, k) => stripsEl.append(this.strip(track, k)));
    this.findingsBar = $('canvas', { class: 'findings-bar', height: '12', title: 'check findings: click one to loop it' });
    this.findingsBar.onclick = (e) => this.clickFindings(e.clientX);
    this.root.replaceChildren(
      header,
      transport,
      $('div', { class: 'timeline-row' }, $('span', { class: 'label' }, 'findings'), this.findingsBar, $('span', { class: 'label' }, pkg.tracks.some((t) => t.role === 'mix') ? 'Mix' : 'Timeline'), timeline),
      stripsEl,
      $('div', { class: 'findings', id: 'findings' }),
    );
    this.updateMonitorButtons();
    this.draw();
  }

  private meter(name: string): { canvas: HTMLCanvasElement; text: HTMLElement } {
    const canvas = $('canvas', { class: 'meter', width: '120', height: '10', 'data-meter': name });
    return { canvas, text: $('span', { class: 'lufs' }, '−∞') };
  }

  private lane(track: number, cls: string): HTMLCanvasElement {
    const canvas = $('canvas', { class: `wave ${cls}`, height: cls === 'timeline' ? '70' : '56' });
    canvas.onmousedown = (e) => {
      this.drag = { from: this.frameAt(canvas, e.clientX), canvas, moved: false };
    };
    canvas.onmousemove = (e) => {
      if (!this.drag || this.drag.canvas !== canvas) return;
      const to = this.frameAt(canvas, e.clientX);
      if (Math.abs(to - this.drag.from) > this.pkg.sampleRate * 0.05) {
        this.drag.moved = true;
        this.loop = [Math.min(this.drag.from, to), Math.max(this.drag.from, to)];
        this.draw();
      }
    };
    canvas.onmouseup = (e) => {
      if (!this.drag) return;
      if (this.drag.moved && this.loop) {
        this.loopOn = true;
        this.engine.setLoop(this.loop);
      } else this.engine.seek(this.frameAt(canvas, e.clientX));
      this.drag = null;
      this.updateLoopButton();
    };
    this.lanes.push({ canvas, track });
    return canvas;
  }

  private frameAt(canvas: HTMLCanvasElement, clientX: number): number {
    const r = canvas.getBoundingClientRect();
    return Math.max(0, Math.min(this.pkg.frames, Math.round(((clientX - r.left) / r.width) * this.pkg.frames)));
  }

  private strip(track: PackageInfo['tracks'][number], k: number): HTMLElement {
    const toggle = (name: 'mute' | 'solo' | 'invert', label: string, title: string) => {
      const b = $('button', { class: `tog ${name}`, title, 'data-action': name }, label);
      b.onclick = () => this.change(k, (s) => (s[name] = !s[name]));
      return b;
    };
    const fader = $('input', { type: 'range', min: '-60', max: '12', step: '0.5', value: '0', class: 'fader', 'data-action': 'fader', title: 'fader, dB (double-click: 0 dB)' });
    const faderText = $('span', { class: 'db' }, '0.0');
    const panText = $('span', { class: 'db pan-text' }, 'C');
    fader.oninput = () => this.change(k, (s) => (s.gainDb = Number(fader.value) <= -60 ? -Infinity : Number(fader.value)));
    fader.ondblclick = () => this.change(k, (s) => (s.gainDb = 0));
    const pan = $('input', { type: 'range', min: '-1', max: '1', step: '0.05', value: '0', class: 'pan', 'data-action': 'pan', title: 'balance (double-click: centre)' });
    pan.oninput = () => this.change(k, (s) => (s.pan = Number(pan.value)));
    pan.ondblclick = () => this.change(k, (s) => (s.pan = 0));
    const meter = this.meter(track.name);
    this.meters.push(meter);
    const el = $(
      'div',
      { class: 'strip', tabindex: '0', 'data-stem': track.name },
      $('div', { class: 'name' }, $('span', { class: 'key' }, k < 9 ? String(k + 1) : ''), track.name, $('span', { class: 'ch' }, `${track.channels} ch`)),
      $('div', { class: 'controls' }, toggle('mute', 'M', 'mute (M)'), toggle('solo', 'S', `solo (S, ${k + 1})`), toggle('invert', 'Ø', 'polarity')),
      $('div', { class: 'gain' }, fader, faderText, pan, panText),
      $('div', { class: 'meters' }, meter.canvas, meter.text),
      this.lane(track.index, 'stem'),
    );
    el.onfocus = () => {
      this.focused = k;
    };
    el.onmousedown = () => el.focus();
    this.stripEls.push(el);
    return el;
  }

  private change(k: number, edit: (s: StripState) => void): void {
    edit(this.strips[k]!);
    this.applyStrips();
  }

  private applyStrips(): void {
    this.engine.setStrips(this.strips);
    this.strips.forEach((s, k) => {
      const el = this.stripEls[k]!;
      el.querySelector('.mute')!.classList.toggle('on', s.mute);
      el.querySelector('.solo')!.classList.toggle('on', s.solo);
      el.querySelector('.invert')!.classList.toggle('on', s.invert);
      const fader = el.querySelector<HTMLInputElement>('.fader')!;
      if (Number(fader.value) !== Math.max(-60, s.gainDb)) fader.value = String(Math.max(-60, s.gainDb));
      el.querySelector('.db')!.textContent = dbText(s.gainDb);
      const pan = el.querySelector<HTMLInputElement>('.pan')!;
      if (Number(pan.value) !== s.pan) pan.value = String(s.pan);
      el.querySelector('.pan-text')!.textContent = panLabel(s.pan);
      const anySolo = this.strips.some((x) => x.solo);
      el.classList.toggle('silent', s.mute || (anySolo && !s.solo));
    });
  }

  setStrips(strips: StripState[]): void {
    this.strips = strips.map((s) => ({ ...s }));
    this.applyStrips();
  }

  private applyPreset(preset: Preset): void {
    this.setStrips(presetStrips(preset, this.stems.map((t) => ({ name: t.name }))));
  }

  setMonitor(m: 'A' | 'B' | 'C'): void {
    this.monitor = m;
    this.engine.setMonitor(m);
    this.updateMonitorButtons();
  }

  private updateMonitorButtons(): void {
    for (const b of this.monitorButtons) b.classList.toggle('on', b.dataset.monitor === this.monitor);
  }

  async togglePlay(): Promise<void> {
    if (this.engine.isPlaying) this.engine.pause();
    else await this.engine.play();
    this.playButton.textContent = this.engine.isPlaying ? '❚❚' : '▶';
  }

  toggleLoop(): void {
    void this.setLoop(this.loopOn ? null : (this.loop ?? [0, this.pkg.frames]));
  }

  private updateLoopButton(): void {
    this.loopButton.classList.toggle('on', this.loopOn);
  }

  private key(e: KeyboardEvent): void {
    if (e.target instanceof HTMLInputElement && e.key !== ' ') return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.toLowerCase();
    if (e.key === ' ') void this.togglePlay();
    else if (k === 'l') this.toggleLoop();
    else if (k === 'm') this.change(this.focused, (s) => (s.mute = !s.mute));
    else if (k === 's') this.change(this.focused, (s) => (s.solo = !s.solo));
    else if (/^[1-9]$/.test(e.key) && Number(e.key) <= this.stems.length) this.change(Number(e.key) - 1, (s) => (s.solo = !s.solo));
    else if (k === 'a' || k === 'b' || k === 'c') this.setMonitor(k.toUpperCase() as 'A' | 'B' | 'C');
    else if (e.key === 'Home') this.engine.seek(this.loopOn && this.loop ? this.loop[0] : 0);
    else return;
    e.preventDefault();
  }

  private onStatus(s: WorkletStatus): void {
    this.playButton.textContent = s.playing ? '❚❚' : '▶';
    this.timeEl.textContent = clock(s.position / this.pkg.sampleRate);
    s.stems.forEach((m, k) => this.drawMeter(this.meters[k]!, m.peak, m.shortTerm));
    this.drawMeter(this.masterMeter, s.master.peak, s.master.shortTerm);
    this.drawHeads(s.position);
  }

  private drawMeter(meter: { canvas: HTMLCanvasElement; text: HTMLElement }, peak: number, lufs: number): void {
    const g = meter.canvas.getContext('2d')!;
    const { width, height } = meter.canvas;
    const db = toDb(peak);
    const fill = Math.max(0, Math.min(1, (db + 60) / 60));
    g.fillStyle = '#1d2230';
    g.fillRect(0, 0, width, height);
    g.fillStyle = db > -1 ? '#ff5d5d' : db > -9 ? '#f3c64a' : '#4fd18b';
    g.fillRect(0, 0, fill * width, height);
    // Below BS.1770's absolute gate (−70 LUFS) is silence, as loudness meters show it (a muted strip's filters ring down to denormals).
    meter.text.textContent = lufs > -70 ? `${lufs.toFixed(1)} LUFS` : '−∞';
  }

  private async loadPeaks(): Promise<void> {
    for (const { canvas, track } of this.lanes) {
      if (this.peaks.has(track)) continue;
      const wanted = this.pkg.frames / Math.max(1, canvas.clientWidth || 1000);
      // The coarsest level that still has a pixel per canvas column.
      const level = [...this.levels].reverse().find((l) => l <= wanted) ?? this.levels[0]!;
      const res = await fetch(`/pkg/${this.pkg.id}/peaks/${track}-${level}.dat`);
      if (!res.ok) continue;
      this.peaks.set(track, decodeDat(new Uint8Array(await res.arrayBuffer())));
      this.draw();
    }
    document.body.dataset.peaks = 'loaded';
  }

  private async loadFindings(): Promise<void> {
    const res = await fetch(this.pkg.report).catch(() => null);
    if (!res?.ok) return;
    const report = (await res.json()) as { findings?: Finding[]; ok?: boolean };
    this.findings = (report.findings ?? []).filter((f) => f.ranges && f.ranges.length > 0);
    const list = document.getElementById('findings')!;
    const all = report.findings ?? [];
    list.replaceChildren(
      $('span', { class: 'label' }, all.length === 0 ? 'check: no findings' : `check: ${all.length} finding(s)`),
      ...all.map((f) => {
        const b = $('button', { class: `finding ${f.severity}`, title: f.message }, `${f.rule}${f.stem ? ` · ${f.stem}` : ''}`);
        const range = f.ranges?.[0];
        if (range) b.onclick = () => this.loopSeconds(range);
        return b;
      }),
    );
    this.draw();
    document.body.dataset.report = 'loaded';
  }

  /** Loops [start, end) frames (null: no loop), shown on every lane. Resolves with the engine's seek epoch. */
  setLoop(range: [number, number] | null): Promise<number> {
    if (range) this.loop = range;
    this.loopOn = range !== null;
    this.updateLoopButton();
    this.draw();
    return this.engine.setLoop(range);
  }

  /** The finding range under a click on the findings bar (the nearest within 4 px), looped. */
  private clickFindings(clientX: number): void {
    const r = this.findingsBar.getBoundingClientRect();
    const seconds = ((clientX - r.left) / r.width) * (this.pkg.frames / this.pkg.sampleRate);
    const slack = (4 / r.width) * (this.pkg.frames / this.pkg.sampleRate);
    const ranges = this.findings.flatMap((f) => f.ranges ?? []);
    const hit = ranges.filter(([a, b]) => seconds >= a - slack && seconds <= b + slack).sort((x, y) => x[1] - x[0] - (y[1] - y[0]))[0];
    if (hit) this.loopSeconds(hit);
  }

  /** Loops a finding's range (seconds) and plays it. */
  loopSeconds([start, end]: [number, number]): void {
    const rate = this.pkg.sampleRate;
    this.loop = [Math.floor(start * rate), Math.max(Math.floor(start * rate) + rate / 10, Math.ceil(end * rate))];
    this.loopOn = true;
    this.engine.setLoop(this.loop);
    this.engine.seek(this.loop[0]);
    this.updateLoopButton();
    this.draw();
  }

  private draw(): void {
    const bar = this.findingsBar;
    const barWidth = (bar.width = Math.max(200, bar.clientWidth * devicePixelRatio || 1000));
    const bg = bar.getContext('2d')!;
    bg.fillStyle = '#141821';
    bg.fillRect(0, 0, barWidth, bar.height);
    const seconds = this.pkg.frames / this.pkg.sampleRate;
    for (const f of this.findings) {
      bg.fillStyle = f.severity === 'error' ? '#ff5d5d' : f.severity === 'warning' ? '#f3c64a' : '#8a93a6';
      for (const [a, b] of f.ranges ?? []) bg.fillRect((a / seconds) * barWidth, 0, Math.max(3, ((b - a) / seconds) * barWidth), bar.height);
    }
    for (const { canvas, track } of this.lanes) {
      const width = (canvas.width = Math.max(200, canvas.clientWidth * devicePixelRatio || 1000));
      const height = canvas.height;
      const g = canvas.getContext('2d')!;
      g.fillStyle = '#141821';
      g.fillRect(0, 0, width, height);
      const frames = this.pkg.frames;
      for (const f of this.findings) {
        for (const [a, b] of f.ranges ?? []) {
          g.fillStyle = f.severity === 'error' ? 'rgba(255,80,80,0.25)' : 'rgba(243,198,74,0.2)';
          const x0 = ((a * this.pkg.sampleRate) / frames) * width;
          g.fillRect(x0, 0, Math.max(2, (((b - a) * this.pkg.sampleRate) / frames) * width), height);
        }
      }
      if (this.loop) {
        g.fillStyle = this.loopOn ? 'rgba(90,160,255,0.22)' : 'rgba(90,160,255,0.1)';
        g.fillRect((this.loop[0] / frames) * width, 0, ((this.loop[1] - this.loop[0]) / frames) * width, height);
      }
      const peaks = this.peaks.get(track);
      if (!peaks) continue;
      const pixels = peaks.minMax.length / 2;
      g.fillStyle = canvas.classList.contains('timeline') ? '#8fb3ff' : '#5fd3b0';
      const mid = height / 2;
      for (let x = 0; x < width; x++) {
        const p0 = Math.floor(((x / width) * frames) / peaks.samplesPerPixel);
        const p1 = Math.max(p0 + 1, Math.floor((((x + 1) / width) * frames) / peaks.samplesPerPixel));
        let lo = 0;
        let hi = 0;
        for (let p = p0; p < Math.min(p1, pixels); p++) {
          lo = Math.min(lo, peaks.minMax[2 * p]!);
          hi = Math.max(hi, peaks.minMax[2 * p + 1]!);
        }
        g.fillRect(x, mid - (hi / 32767) * mid, 1, Math.max(1, ((hi - lo) / 32767) * mid));
      }
    }
  }

  private drawHeads(position: number): void {
    for (const { canvas } of this.lanes) {
      let head = canvas.parentElement!.querySelector<HTMLElement>(`.head[data-for="${this.lanes.findIndex((l) => l.canvas === canvas)}"]`);
      if (!head) {
        head = $('div', { class: 'head', 'data-for': String(this.lanes.findIndex((l) => l.canvas === canvas)) });
        canvas.parentElement!.append(head);
      }
      head.style.left = `${canvas.offsetLeft + (position / this.pkg.frames) * canvas.clientWidth}px`;
      head.style.top = `${canvas.offsetTop}px`;
      head.style.height = `${canvas.clientHeight}px`;
    }
  }
}

function packageList(catalogue: Catalogue, root: HTMLElement): void {
  root.replaceChildren(
    $('header', {}, $('h1', {}, 'stemkit serve'), $('span', { class: 'fmt' }, `${catalogue.packages.length} packages`)),
    $(
      'ul',
      { class: 'packages' },
      ...catalogue.packages.map((p) =>
        $('li', {}, $('a', { href: `#${p.id}` }, p.title), $('span', { class: 'fmt' }, ` ${p.tracks.filter((t) => t.role === 'stem').length} stems · ${p.sampleRate / 1000} kHz · ${p.channels} ch · ${clock(p.frames / p.sampleRate)}`)),
      ),
    ),
  );
}

/** What tests and scripts reach on window.stemkit. */
interface PageApi {
  engine: Engine;
  mixer: Mixer;
  pkg: PackageInfo;
}

async function main(): Promise<void> {
  const root = document.getElementById('app')!;
  const catalogue = (await (await fetch('/api/packages')).json()) as Catalogue;
  const hash = new URLSearchParams(location.hash.slice(1).replace(/^([^=&]+)(&|$)/, 'pkg=$1$2'));
  const id = hash.get('pkg') ?? (catalogue.packages.length === 1 ? catalogue.packages[0]!.id : null);
  const pkg = catalogue.packages.find((p) => p.id === id);
  window.onhashchange = () => location.reload();
  if (!pkg) return packageList(catalogue, root);
  const engine = await Engine.start(pkg);
  const mixer = new Mixer(engine, pkg, catalogue.peakLevels, root);
  // Links from the HTML report: #<id>&t=<seconds>&loop=<start>-<end> loops a finding's range.
  const loop = /^([\d.]+)-([\d.]+)$/.exec(hash.get('loop') ?? '');
  const t = Number(hash.get('t'));
  if (loop) mixer.loopSeconds([Number(loop[1]), Number(loop[2])]);
  else if (t > 0) void engine.seek(t * pkg.sampleRate);
  (window as unknown as { stemkit: PageApi }).stemkit = { engine, mixer, pkg };
  document.body.dataset.ready = 'true';
}

main().catch((err: Error) => {
  document.getElementById('app')!.replaceChildren($('pre', { class: 'error' }, err.message));
  document.body.dataset.error = err.message;
});
