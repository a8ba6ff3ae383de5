import { openAudio } from '../audio/open.js';
import { openPlaced } from '../engine/placed-source.js';
import { placeFiles, type FilePlacement } from './alignment.js';
import { subsetSums, verifyAlternate, type AlternateReport } from './alternates.js';
import { probeChannelOrder, type ChannelOrderResult } from './channel-order.js';
import { alternateKindFromName, type AlternateFile } from './discover.js';
import type { AudioSource } from '../audio/types.js';
import type { WorkerPool } from '../engine/pool.js';
import { errorJson, StemkitError } from '../errors.js';
import { throwIfAborted, type OnProgress } from '../progress.js';
import { diagnoseGains, probeOffset, probeStart, ProbeResiduals, stemsToProbe, type OffsetResult } from './diagnose.js';
import type { StemPackage } from './discover.js';
import { energyDb, dbToGain, round, toDb } from '../dsp/decibels.js';
import { spectrumBands, worstMoments } from '../dsp/residual-moments.js';
import { fileMeasure, rmsOf } from './measurement.js';
import { releasePassBuffers, type PassResult } from './pass.js';
import { resolveProfile } from './profiles.js';
import { RULES } from './rules/index.js';
import type { RuleContext } from './rules/context.js';
import { mostCommon } from './rules/context.js';
import { measurePass } from './run-pass.js';
import { unreadable } from './rules/format.js';
import { consequencesOf } from './rules/mix-source.js';
import type { CheckedFile, CheckReport, Finding, NullSummary } from './types.js';

/** A probed lag counts when it lowers the residual over the probe by at least 10 dB. */
const CONFIRMED_LAG_DB = -10;
/** A probed gain is used for the other stems' next round when it leaves at most this much of the stem. */
const TRUSTED_FIT_DB = -20;

/** Options of `checkPackage`. */
export interface CheckOptions {
  /** Profile name; default: the package's stemkit.json "profile", else "music". */
  profile?: string;
  /** Worker pool for parallel segments; null measures on the calling thread. */
  pool?: WorkerPool | null;
  /** Warnings fail the package too. */
  strict?: boolean;
  /** Width of the plots in the report. Default 800 columns. */
  columns?: number;
  /** Progress of the measuring pass ({ phase: 'measure', fraction }). */
  onProgress?: OnProgress;
  /** Stops the check with E_ABORTED (between steps, and within the measuring pass). */
  signal?: AbortSignal;
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

async function inspect(name: string, path: string): Promise<CheckedFile> {
  try {
    const source = await openAudio(path);
    await source.close();
    const readerWarnings = source.meta.warnings.length ? { readerWarnings: [...source.meta.warnings] } : {};
    return { name, path, format: source.format, error: null, timeReference: source.meta.bext?.timeReference ?? null, writtenByRender: source.meta.bext?.originator === 'stemkit' && /: .+ stem( \(dry\))?$/.test(source.meta.bext.description ?? ''), measure: null, offsetSamples: null, startOffsetSamples: null, ...readerWarnings };
  } catch (err) {
    return { name, path, format: null, error: errorJson(err), timeReference: null, measure: null, offsetSamples: null, startOffsetSamples: null };
  }
}

/** Where the residual is: its peak, its worst moments, per channel. */
function residualWhere(pass: PassResult, mix: CheckedFile, rate: number, passed: boolean): Pick<NullSummary, 'residualPeakSec' | 'residualPeakChannel' | 'worstMoments' | 'channels'> {
  const res = pass.residual!;
  const layout = mix.format!.channelLayout;
  const channels = res.signal.peak.map((p, c) => ({
    channel: layout[c] ?? `${c + 1}`,
    peakDbfs: toDb(p),
    rmsDbfs: res.signal.frames > 0 ? toDb(Math.sqrt(res.signal.sumSquares[c]! / res.signal.frames)) : null,
  }));
  if (passed || res.moments.peakFrame < 0) return { residualPeakSec: null, residualPeakChannel: null, worstMoments: [], channels };
  const window = Math.round(0.01 * rate);
  return {
    residualPeakSec: round(res.moments.peakFrame / rate, 4),
    residualPeakChannel: layout[res.moments.peakChannel] ?? `${res.moments.peakChannel + 1}`,
    worstMoments: worstMoments(res.moments, 5).map((w) => ({
      startSec: round(w.frame / rate, 3),
      endSec: round((w.frame + window) / rate, 3),
      peakDbfs: toDb(w.peak)!,
    })),
    channels,
  };
}

/** Proves or disproves that a package's stems sum to its mix, and says why not. */
export async function checkPackage(pkg: StemPackage, options: CheckOptions = {}): Promise<CheckReport> {
  try {
    return await checkOnce(pkg, options);
  } finally {
    // A long-running process checks package after package: the calling thread's block buffers go back.
    releasePassBuffers();
  }
}

async function checkOnce(pkg: StemPackage, options: CheckOptions = {}): Promise<CheckReport> {
  throwIfAborted(options.signal, 'the check');
  const began = Date.now();
  const profileName = options.profile ?? (typeof pkg.manifest?.profile === 'string' ? pkg.manifest.profile : 'music');
  const profile = await resolveProfile(profileName, pkg.manifest?.limits, `${pkg.dir}/stemkit.json`);
  const stems = await Promise.all(pkg.stems.map((s) => inspect(s.name, s.path)));
  const mix = pkg.mix ? await inspect('Mix', pkg.mix.path) : null;

  const readableStems = stems.filter((s) => s.format);
  const mixReadable = mix?.format ? mix : null;
  const files = [...readableStems, ...(mixReadable ? [mixReadable] : [])];
  const passIndex = new Map<CheckedFile, number>(files.map((f, i) => [f, i]));
  const reference = mixReadable ?? readableStems[0];
  const sampleRate = reference?.format?.sampleRate ?? mostCommon(files.map((f) => f.format!.sampleRate)) ?? null;
  // Stems at another rate are resampled into the pass and files are placed by their BWF start, as a
  // DAW would on import: the null test then judges the audio, not the header facts (those have rules).
  const placements: FilePlacement[] = sampleRate ? placeFiles(files.map((f) => ({ format: f.format!, timeReference: f.timeReference })), mixReadable !== null, sampleRate) : [];
  files.forEach((f, i) => (f.startOffsetSamples = f.timeReference === null ? null : placements[i]!.startFrame));
  const channelsAgree = files.every((f) => f.format!.channels === reference!.format!.channels);
  const summable = readableStems.length > 0 && channelsAgree;
  const nullSkipped = !mixReadable
    ? pkg.mix
      ? 'null test not run: the reference mix cannot be read'
      : 'null test not run: no reference mix'
    : readableStems.length === 0
      ? 'null test not run: no readable stems'
      : !channelsAgree
        ? `null test not run: the files do not share one channel count (${[...new Set(files.map((f) => f.format!.channels))].join(', ')}); export every file with the mix's ${mixReadable.format!.channels}`
        : null;
  const columns = options.columns ?? 800;
  const thresholdDbfs = profile.nullResidualMaxDbfs;

  let pass: PassResult | null = null;
  if (files.length > 0) {
    const totalFrames = Math.max(...placements.map((p) => Math.max(0, p.startFrame + p.frames)));
    try {
      pass = await measurePass(
        {
          paths: files.map((f) => f.path),
          hasMix: mixReadable !== null,
          summable,
          totalFrames,
          residualThreshold: dbToGain(thresholdDbfs),
          columns,
          placements,
        },
        sampleRate!,
        options.pool ?? null,
        (fraction) => options.onProgress?.({ phase: 'measure', fraction }),
        options.signal,
      );
    } catch (err) {
      if (err instanceof StemkitError && err.code === 'E_ABORTED') throw err;
      // A file that breaks mid-stream (truncated on disk, bad FLAC frame) is a finding, not a crash.
      const failure = errorJson(err);
      const culprit = files.find((f) => (err as { file?: string }).file === f.path) ?? files[0]!;
      culprit.error = failure;
      culprit.format = null;
      const isMix = pkg.mix?.path === culprit.path;
      const rest = await checkPackage({ ...pkg, stems: pkg.stems.filter((s) => s.path !== culprit.path), mix: isMix ? null : pkg.mix }, options);
      return {
        ...rest,
        ok: false,
        stems: isMix ? rest.stems : [...rest.stems, culprit],
        mix: isMix ? culprit : rest.mix,
        findings: [...unreadable({ stems: [culprit], mix: null } as unknown as RuleContext), ...rest.findings.filter((f) => f.rule !== 'package.no-mix' || !isMix)],
      };
    }
    throwIfAborted(options.signal, 'the check');
    // Times are on the package timeline (at its rate, BWF start included), as the meters saw them.
    files.forEach((f, i) => (f.measure = fileMeasure(pass!.files[i]!, { ...f.format!, sampleRate: sampleRate!, frames: placements[i]!.frames })));
    // A file the pass heard resampled (or with its head cut off by its BWF start) is measured again as
    // it is: its own peaks and loudness, not those of the copy the null test used.
    for (const [i, f] of files.entries()) {
      const place = placements[i]!;
      if (place.sampleRate === f.format!.sampleRate && place.startFrame >= 0) continue;
      const own = await measurePass(
        { paths: [f.path], hasMix: false, summable: false, totalFrames: f.format!.frames, residualThreshold: 1, columns },
        f.format!.sampleRate,
        null,
      );
      f.measure = fileMeasure(own.files[0]!, f.format!);
    }
  }

  // A stem that is the unity sum of other stems (an instrumental or a submix exported into the stems
  // folder) makes the null fail by doubling what it contains: it is an alternate, checked again without it.
  if (pass?.residual && mixReadable && Math.max(...pass.residual.signal.peak) > dbToGain(thresholdDbfs)) {
    const sums = subsetSums(pass.cross.gram);
    if (sums.length > 0) {
      const moved = sums.map(({ index }) => readableStems[index]!);
      const alternates: AlternateFile[] = moved.map((f) => ({ name: f.name, path: f.path, kind: alternateKindFromName(f.path) ?? 'subset', foundBy: 'content' }));
      return checkPackage({ ...pkg, stems: pkg.stems.filter((s) => !moved.some((m) => m.path === s.path)), alternates: [...(pkg.alternates ?? []), ...alternates] }, options);
    }
  }
  const alternates: AlternateReport[] = [];
  for (const alternate of pkg.alternates ?? []) {
    const file = await inspect(alternate.name, alternate.path);
    const base = { file: alternate.path, name: alternate.name, kind: alternate.kind, foundBy: alternate.foundBy, stems: [], nulls: null, residualPeakDbfs: null };
    if (!file.format || !sampleRate || readableStems.length === 0) {
      alternates.push({ ...base, unverified: file.error ? `${file.error.code}: ${file.error.message}` : 'no readable stems to compare it with' });
      continue;
    }
    if (file.format.channels !== readableStems[0]!.format!.channels) {
      alternates.push({ ...base, unverified: `it has ${file.format.channels} channel(s), the stems ${readableStems[0]!.format!.channels}` });
      continue;
    }
    const [placement] = placeFiles([{ format: file.format, timeReference: file.timeReference }, ...(mixReadable ? [{ format: mixReadable.format!, timeReference: mixReadable.timeReference }] : [])], mixReadable !== null, sampleRate);
    const totalFrames = Math.max(placement!.startFrame + placement!.frames, ...placements.map((p) => p.startFrame + p.frames));
    alternates.push(
      await verifyAlternate(alternate, readableStems.map((f) => ({ name: f.name, path: f.path, placement: placements[passIndex.get(f)!]! })), placement!, {
        thresholdDbfs,
        sampleRate,
        totalFrames,
        pool: options.pool ?? null,
      }),
    );
  }

  let nullSummary: NullSummary | null = null;
  let gains = null;
  const offsets = new Map<CheckedFile, OffsetResult>();
  /** Every probed stem's lag and gain (the null failed), for diagnosing several stems at once. */
  const probes = new Map<CheckedFile, OffsetResult>();
  /** Multichannel stems whose channels fit the mix better in another order (the null failed). */
  const channelOrders = new Map<CheckedFile, ChannelOrderResult>();
  if (pass?.residual && mixReadable) {
    const residualPeak = Math.max(...pass.residual.signal.peak);
    const mixRms = rmsOf(pass.files[passIndex.get(mixReadable)!]!.signal);
    const residualRms = rmsOf(pass.residual.signal);
    gains = diagnoseGains(pass.cross.gram, pass.cross.withMix, pass.cross.mixEnergy);
    const passed = !(residualPeak > dbToGain(thresholdDbfs));
    if (!passed) {
      // Only a failed null earns the alignment probe: a passing null already proves every offset is zero.
      const sources: AudioSource[] = [];
      try {
        for (const [i, f] of files.entries()) sources.push(await openPlaced(f.path, placements[i]));
        const mixSource = sources.at(-1)!;
        // Two rounds: first every stem against the others at their jointly fitted gains, then against
        // the others as their own probes placed them (several broken stems at once).
        let others: { gains: number[]; lags: number[] } = { gains: gains.joint, lags: gains.joint.map(() => 0) };
        // A bounded set (the stems that can explain the residual), each against mix − Σ others computed once per round.
        const probed = stemsToProbe(pass.cross.gram, readableStems.map((_, k) => pass.cross.loudest[k]!.energy));
        const starts = probed.map((k) => probeStart(mixSource, pass.cross.loudest[k]!.start));
        for (let round = 0; round < 2; round++) {
          const residuals = new ProbeResiduals(sources.slice(0, -1), mixSource, others, starts);
          for (const k of probed) probes.set(readableStems[k]!, await probeOffset(sources.slice(0, -1), mixSource, k, pass.cross.loudest[k]!.start, residuals));
          // Only what a probe established carries into the next round, and a round that would
          // place the other stems as before is not repeated.
          const previous = others;
          others = {
            gains: readableStems.map((s, k) => {
              const p = probes.get(s);
              return p && p.fitRelativeDb <= TRUSTED_FIT_DB ? p.gain : gains!.joint[k]!;
            }),
            lags: readableStems.map((s) => {
              const p = probes.get(s);
              return p && p.improvementDb <= CONFIRMED_LAG_DB ? p.lag : 0;
            }),
          };
          const moved = others.lags.some((lag, k) => lag !== previous.lags[k]) || others.gains.some((g, k) => Math.abs(g - previous.gains[k]!) > 0.01 * Math.abs(previous.gains[k]!));
          if (!moved) break;
        }
        // A lag counts only when the residual confirms it decisively.
        for (const [stem, result] of probes) if (result.lag !== 0 && result.improvementDb <= CONFIRMED_LAG_DB) offsets.set(stem, result);
        // Multichannel stems: is one of them in another channel order than the mix?
        for (const [k, stem] of readableStems.entries()) {
          if (stem.format!.channels < 3 || offsets.has(stem)) continue;
          const order = await probeChannelOrder(sources.slice(0, -1), mixSource, k);
          if (order && order.permutation.some((c, j) => c !== j)) channelOrders.set(stem, order);
        }
      } finally {
        await Promise.all(sources.map((s) => s.close()));
      }
    }
    // An offset is shown only where it was measured: 0 when the null passed (that proves it) or when
    // the stem's probe found its best fit unshifted; a lag when the residual confirmed it; else unknown.
    for (const s of readableStems) {
      const probe = probes.get(s);
      s.offsetSamples = passed ? 0 : (offsets.get(s)?.lag ?? (probe && probe.lag === 0 ? 0 : null));
    }
    const lags = new Set(readableStems.map((s) => s.offsetSamples));
    const globalExplains = gains.globalRelativeDb <= -40 && gains.globalRelativeDb <= gains.unityRelativeDb - 20;
    nullSummary = {
      residualPeakDbfs: toDb(residualPeak),
      residualRmsDbfs: toDb(residualRms),
      residualRelativeDb: mixRms > 0 ? energyDb((residualRms * residualRms) / (mixRms * mixRms)) : null,
      // Package-wide values only where one value holds for the whole package, never an average that
      // contradicts the per-stem findings.
      bestLagSamples: lags.size === 1 ? [...lags][0]! : null,
      bestGainDb: passed ? 0 : globalExplains ? toDb(Math.abs(gains.globalGain)) : null,
      polarityInverted: !passed && globalExplains && gains.globalGain < 0,
      passed,
      thresholdDbfs,
      ...residualWhere(pass, mixReadable, sampleRate!, passed),
    };
  }

  const ctx: RuleContext = { profile, pkg, stems, mix, sampleRate, pass, passIndex, gains, nullSummary, offsets, probes, placements, nullSkipped, alternates, channelOrders };
  const all: Finding[] = RULES.flatMap(({ rule }) => rule(ctx));
  // One cause, one finding: a cause that explains others (every stem is the mix, a mastered mix)
  // replaces the cascade it would otherwise produce.
  const superseded = new Set(all.flatMap((f) => consequencesOf(ctx, f)));
  const findings = all.filter((f) => !superseded.has(f.rule)).sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  const failed = findings.some((f) => f.severity === 'error' || (options.strict && f.severity === 'warning'));
  const sumPeak = pass?.sum ? Math.max(...pass.sum.signal.peak) : null;
  // With a mix the sum's true peak is not metered: when the null passes it is the mix's, otherwise unknown.
  const mixTruePeak = mixReadable?.measure?.truePeakDbtp ?? null;
  const sumTruePeakDb = pass?.sum?.truePeak
    ? toDb(Math.max(sumPeak!, ...pass.sum.truePeak.truePeak))
    : nullSummary?.passed && nullSummary.residualPeakDbfs === null
      ? mixTruePeak
      : null;
  const residualOverview = pass?.residual?.overview;

  return {
    schema: 'stemkit.check/1',
    ok: !failed,
    profile: profile.name,
    package: {
      dir: pkg.dir,
      mix: pkg.mix?.path ?? null,
      stems: pkg.stems.map((s) => s.path),
      alternates,
      ...(pkg.niStems ? { niStems: { file: pkg.niStems.file, codec: pkg.niStems.codec, timingFrom: pkg.niStems.timingFrom, stems: pkg.niStems.metadata.stems, masteringDsp: pkg.niStems.metadata.mastering_dsp ?? null } } : {}),
    },
    stems,
    mix,
    sum: pass?.sum ? { samplePeakDbfs: toDb(sumPeak!), truePeakDbtp: sumTruePeakDb } : null,
    null: nullSummary,
    nullSkipped: nullSummary ? null : (nullSkipped ?? 'null test not run'),
    findings,
    notes: profile.notes,
    plots: {
      columns,
      durationSec: sampleRate && pass ? (pass.end - pass.start) / sampleRate : 0,
      waveforms: files.map((f, i) => ({ name: f.name, peak: pass!.files[i]!.overview.peak.map((x) => Math.round(x * 1e5) / 1e5) })),
      residualPeakDb: residualOverview ? residualOverview.peak.map((p) => toDb(p)) : null,
      residualSpectrum: pass?.residual && nullSummary && !nullSummary.passed ? spectrumBands(pass.residual.moments, sampleRate!) : null,
      residualDb: residualOverview
        ? residualOverview.sumSquares.map((s, c) => (residualOverview.count[c]! > 0 ? toDb(Math.sqrt(s / residualOverview.count[c]!)) : null))
        : null,
    },
    elapsedMs: Date.now() - began,
  };
}
