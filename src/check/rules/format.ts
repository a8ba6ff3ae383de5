import { finding, mostCommon, readable, type Rule } from './context.js';

/** The reference every file is compared with: the mix when readable, else the majority. */
function reference<T>(ctx: Parameters<Rule>[0], pick: (f: NonNullable<typeof ctx.mix>) => T): T | undefined {
  if (ctx.mix?.format) return pick(ctx.mix);
  return mostCommon(readable(ctx).map(pick));
}

export const unreadable: Rule = (ctx) =>
  [...ctx.stems, ...(ctx.mix ? [ctx.mix] : [])]
    .filter((f) => f.error)
    .flatMap((f) =>
      finding('format.unreadable', 'error', {
        file: f,
        message: `${f.name}: ${f.error!.message} (${f.error!.code})`,
        value: f.error!.code,
        fix: f.error!.hint,
      }),
    );

export const sampleRateMismatch: Rule = (ctx) => {
  const rate = reference(ctx, (f) => f.format!.sampleRate);
  return readable(ctx)
    .filter((f) => f.format!.sampleRate !== rate)
    .flatMap((f) =>
      finding('format.sample-rate-mismatch', 'error', {
        file: f,
        message: `${f.name} is ${f.format!.sampleRate} Hz; the package is ${rate} Hz`,
        value: f.format!.sampleRate,
        limit: rate ?? null,
        fix: `re-export ${f.name} at ${rate} Hz from the session (do not resample the stem afterwards)`,
      }),
    );
};

export const sampleRate: Rule = (ctx) => {
  const allowed = ctx.profile.sampleRates;
  if (allowed.length === 0) return [];
  return readable(ctx)
    .filter((f) => !allowed.includes(f.format!.sampleRate))
    .flatMap((f) =>
      finding('format.sample-rate', ctx.profile.sampleRateSeverity, {
        file: f,
        message: `${f.name} is ${f.format!.sampleRate} Hz; the ${ctx.profile.name} profile requires ${allowed.join(' or ')} Hz`,
        value: f.format!.sampleRate,
        limit: allowed.join('|'),
        fix: `export the package at ${allowed[0]} Hz`,
      }),
    );
};

export const bitDepth: Rule = (ctx) =>
  readable(ctx)
    .filter((f) => {
      const fmt = f.format!;
      if (fmt.encoding === 'float') return false;
      return fmt.encoding !== 'pcm' || fmt.bitDepth < ctx.profile.minBitDepth;
    })
    .flatMap((f) => {
      const fmt = f.format!;
      const what = fmt.encoding === 'pcm' ? `${fmt.bitDepth}-bit` : fmt.encoding === 'alaw' ? 'A-law' : 'µ-law';
      return finding('format.bit-depth', 'error', {
        file: f,
        message: `${f.name} is ${what}; the ${ctx.profile.name} profile needs at least ${ctx.profile.minBitDepth}-bit (or 32-bit float)`,
        value: fmt.encoding === 'pcm' ? fmt.bitDepth : what,
        limit: ctx.profile.minBitDepth,
        fix: `re-export ${f.name} at ${Math.max(24, ctx.profile.minBitDepth)}-bit or 32-bit float`,
      });
    });

export const channelsMismatch: Rule = (ctx) => {
  const channels = reference(ctx, (f) => f.format!.channels);
  return readable(ctx)
    .filter((f) => f.format!.channels !== channels)
    .flatMap((f) =>
      finding('format.channels-mismatch', 'error', {
        file: f,
        message: `${f.name} has ${f.format!.channels} channel(s) (${f.format!.channelLayout.join(' ')}); the package has ${channels}`,
        value: f.format!.channels,
        limit: channels ?? null,
        fix: `export ${f.name} with ${channels} channel(s), like the other files`,
      }),
    );
};

export const lengthMismatch: Rule = (ctx) => {
  const frames = reference(ctx, (f) => f.format!.frames);
  if (frames === undefined) return [];
  return readable(ctx)
    .filter((f) => f.format!.frames !== frames)
    .flatMap((f) => {
      const delta = f.format!.frames - frames;
      const ms = ((Math.abs(delta) / f.format!.sampleRate) * 1000).toFixed(1);
      return finding('format.length-mismatch', 'error', {
        file: f,
        message: `${f.name} is ${f.format!.frames} samples long, ${Math.abs(delta)} samples (${ms} ms) ${delta > 0 ? 'longer' : 'shorter'} than the ${ctx.mix?.format ? 'mix' : 'package'} (${frames})`,
        value: delta,
        limit: 0,
        fix:
          delta > 0
            ? `trim ${delta} samples from the end of ${f.name} (if its start is aligned), or re-export all files over the same range`
            : `pad ${-delta} samples of silence at the end of ${f.name}, or re-export all files over the same range`,
      });
    });
};

export const startMismatch: Rule = (ctx) => {
  const withReference = readable(ctx).filter((f) => f.timeReference !== null);
  if (withReference.length < 2) return [];
  const start = ctx.mix?.timeReference ?? mostCommon(withReference.map((f) => f.timeReference));
  return withReference
    .filter((f) => f.timeReference !== start)
    .flatMap((f) => {
      const delta = f.timeReference! - start!;
      return finding('format.start-mismatch', 'error', {
        file: f,
        message: `${f.name} starts at timeline sample ${f.timeReference} (BWF time reference), ${Math.abs(delta)} samples ${delta > 0 ? 'after' : 'before'} the others (${start})`,
        value: delta,
        limit: 0,
        fix: `re-export every stem from the same start point (e.g. bar 1 beat 1)`,
      });
    });
};

export const nonFinite: Rule = (ctx) =>
  readable(ctx)
    .filter((f) => (f.measure?.nonFiniteSamples ?? 0) > 0)
    .flatMap((f) =>
      finding('format.non-finite', 'error', {
        file: f,
        message: `${f.name} contains ${f.measure!.nonFiniteSamples} NaN/Infinity samples`,
        value: f.measure!.nonFiniteSamples,
        limit: 0,
        fix: `find the plug-in producing invalid output on ${f.name}'s chain and re-export`,
      }),
    );
