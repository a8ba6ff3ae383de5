import type { AudioSource } from '../audio/types.js';
import { lockstep } from '../engine/lockstep.js';

/**
 * Channel order of a multichannel stem against the mix: a 5.1 stem exported in film order
 * (L C R Ls Rs LFE) beside files in WAVE order (L R C LFE Ls Rs) sums each speaker into the wrong
 * one. What the mix holds of the stem is target = mix − Σ other stems, channel by channel; the
 * permutation of the stem's channels that fits it best (least squares) is the order it was meant
 * to have. Runs only when the null test failed and a stem has three or more channels.
 */
export interface ChannelOrderResult {
  /** permutation[j] = the stem channel that belongs in channel j. */
  permutation: number[];
  /** Residual over the target with the file's order, and with the permutation, relative to the target (dB). */
  asIsRelativeDb: number;
  permutedRelativeDb: number;
}

/** One frame in this many enters the cross products (proportions are what matter). */
const STRIDE = 8;
/** Permutations are searched exhaustively up to this many channels (8! = 40 320). */
const MAX_CHANNELS = 8;

const db = (x: number) => 10 * Math.log10(Math.max(x, 1e-30));

function* permutations(n: number): Generator<number[]> {
  const p = [...Array(n).keys()];
  const c = new Array<number>(n).fill(0);
  yield [...p];
  for (let i = 1; i < n; ) {
    if (c[i]! < i) {
      const k = i % 2 ? c[i]! : 0;
      [p[i], p[k]] = [p[k]!, p[i]!];
      yield [...p];
      c[i]!++;
      i = 1;
    } else c[i++] = 0;
  }
}

/** Stem `k` of `stems` (placed sources, same channel count as `mix`): the channel order that fits the mix. */
export async function probeChannelOrder(stems: AudioSource[], mix: AudioSource, k: number): Promise<ChannelOrderResult | null> {
  const n = mix.format.channels;
  if (n < 3 || n > MAX_CHANNELS || stems.some((s) => s.format.channels !== n)) return null;
  const cross = Array.from({ length: n }, () => new Float64Array(n));
  const stemEnergy = new Float64Array(n);
  const targetEnergy = new Float64Array(n);
  for await (const block of lockstep([...stems, mix], { end: mix.format.frames })) {
    const mixData = block.data.at(-1)!;
    const stemData = block.data[k]!;
    for (let t = 0; t < block.frames; t += STRIDE) {
      for (let j = 0; j < n; j++) {
        let target = mixData[j]![t]!;
        for (let o = 0; o < stems.length; o++) if (o !== k) target -= block.data[o]![j]![t]!;
        targetEnergy[j] += target * target;
        for (let i = 0; i < n; i++) cross[i]![j] += stemData[i]![t]! * target;
      }
      for (let i = 0; i < n; i++) stemEnergy[i] += stemData[i]![t]! * stemData[i]![t]!;
    }
  }
  const totalTarget = targetEnergy.reduce((a, b) => a + b, 0);
  const totalStem = stemEnergy.reduce((a, b) => a + b, 0);
  if (!(totalTarget > 0) || !(totalStem > 0)) return null;
  // ‖target − permuted stem‖² = Σ target² + Σ stem² − 2 Σ_j ⟨s_π(j), t_j⟩: the best π maximises the cross terms.
  const fit = (p: number[]) => totalTarget + totalStem - 2 * p.reduce((a, i, j) => a + cross[i]![j]!, 0);
  let best: number[] = [...Array(n).keys()];
  let bestFit = fit(best);
  const asIs = bestFit;
  for (const p of permutations(n)) {
    const f = fit(p);
    if (f < bestFit) {
      best = p;
      bestFit = f;
    }
  }
  return { permutation: best, asIsRelativeDb: db(asIs / totalTarget), permutedRelativeDb: db(Math.max(0, bestFit) / totalTarget) };
}
