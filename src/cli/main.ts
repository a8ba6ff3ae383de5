#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import type { CheckCliOptions } from './check.js';
import { formatError } from '../report/terminal.js';
import { loadNodeKernels } from '../engine/kernels.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

// Each command's module is imported when it runs: `stemkit info` should not pay for the renderer.
/** Exit codes (DESIGN.md, "CLI surface"): 0 good, 1 defects in the input, 2 usage error or nothing could be read. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('stemkit')
    .description('Render, check and deliver audio stem packages whose stems sum to the mix.')
    .version(version)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .showHelpAfterError('(run stemkit --help for usage)');

  program
    .command('info')
    .description('header facts of audio files, without decoding the audio')
    .argument('<files...>', 'WAV, RF64/BW64, AIFF/AIFF-C or FLAC files')
    .option('--json', 'print {"files": [...]} as JSON')
    .action(async (files: string[], options: { json?: boolean }) => {
      code = await (await import('./info.js')).runInfo(files, options, process.stdout);
    });

  program
    .command('measure')
    .description('sample peak, true peak, loudness (I, LRA, max M/S), RMS, DC, clipping, first/last sound')
    .argument('<files...>', 'audio files')
    .option('--json', 'print {"files": [...]} as JSON')
    .action(async (files: string[], options: { json?: boolean }) => {
      code = await (await import('./measure.js')).runMeasure(files, options, process.stdout, process.stderr);
    });

  program
    .command('check')
    .description('prove that the stems sum to the mix, or say exactly what is wrong and how to fix it')
    .argument('<inputs...>', 'package folder(s), or the files of one package')
    .option('--mix <file>', 'the reference mix (default: stemkit.json, else a file named mix/master/ref/printmaster)')
    .option('--profile <name>', 'music | mastering | sync | broadcast | netflix | atmos-music | performance | ni-stems')
    .option('--json', 'print the stemkit.check/1 report as JSON')
    .option('--junit <file>', 'write a JUnit XML report (one test case per rule and stem)')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--strict', 'warnings fail the package too')
    .option('--residual <file>', 'write mix − Σ stems (aligned as judged) as a 32-bit float WAV, to listen to what does not null')
    .action(async (inputs: string[], options: CheckCliOptions) => {
      code = await (await import('./check.js')).runCheck(inputs, options, process.stdout, process.stderr);
    });

  program
    .command('fix')
    .description('repair what check diagnosed (timing, BWF start, polarity, gain, length, rate, depth, channel order, names) into a new package')
    .argument('<package>', 'the package folder to repair (never modified)')
    .option('--out <dir>', 'folder for the repaired package (new or empty, or --force)')
    .option('--plan', 'print the repairs without writing anything')
    .option('--json', 'print the plan and the before/after checks as JSON')
    .option('--force', 'replace a non-empty --out folder (only once the new package is complete)')
    .option('--mix <file>', 'the reference mix (default: as check finds it)')
    .option('--profile <name>', 'check profile for the before/after checks')
    .action(async (input: string, options: import('./fix.js').FixCliOptions) => {
      code = await (await import('./fix.js')).runFix(input, options, process.stdout, process.stderr);
    });

  program
    .command('render')
    .description('render stems and mix from a session of multitracks, valid by construction')
    .argument('<session>', 'session file (.yaml or .json)')
    .option('--out <dir>', 'output folder (default: <session>-package beside the session)')
    .option('--dry', 'also write dry stems (no bus inserts, no returns)')
    .option('--json', 'print the package manifest as JSON')
    .option('--force', 'replace a non-empty output folder (only once the new package is complete)')
    .option('--replace-non-finite', 'replace NaN/Infinity track samples with silence (counted) instead of stopping')
    .action(async (session: string, options: { out?: string; dry?: boolean; json?: boolean; force?: boolean; replaceNonFinite?: boolean }) => {
      code = await (await import('./render.js')).runRender(session, options, process.stdout, process.stderr);
    });

  program
    .command('pack')
    .description('deliver a checked package to a recipient: naming, format, versions, read-me, checksums, zip')
    .argument('<package>', 'package folder (stems and mix; stemkit.json when rendered)')
    .requiredOption('--for <recipient>', 'mix-engineer, mastering, sync-library, film-dme, remix, performance, ni-stems, or one of --recipients')
    .requiredOption('--out <dir>', 'the delivery folder (written as one unit)')
    .option('--zip', 'also write <dir>.zip (store-only, deterministic)')
    .option('--recipients <file>', 'YAML file of your own recipients')
    .option('--artist <name>', 'artist, for naming templates that use {artist}')
    .option('--bpm <tempo>', 'tempo, for naming templates that use {bpm}')
    .option('--key <key>', 'musical key, for naming templates that use {key}')
    .option('--sections <list>', 'performance loops: name:first-last bars (with --bpm), or name:start-ends seconds, comma-separated')
    .option('--beats-per-bar <n>', 'beats per bar for --sections in bars (default 4)')
    .option('--loop-crossfade <ms>', "crossfade at each loop's seam, ms (default 0: a plain cut)")
    .option('--roles <map>', 'stem roles over names and manifest: "Kick=drums,Pad=music" (drums, bass, music, vocals, fx, dialogue, effects, other)')
    .option('--json', 'print delivery.json')
    .option('--force', 'replace a non-empty delivery folder (and its zip) once the new one is complete')
    .action(async (pkg: string, options: import('./pack.js').PackCliOptions) => {
      code = await (await import('./pack.js')).runPack(pkg, options, process.stdout, process.stderr);
    });

  program
    .command('ni-stems')
    .description('write a Native Instruments Stems file (.stem.mp4): the mix and 4 groups, checked, encoded AAC or ALAC')
    .argument('<package>', 'package folder (stems with roles and a mix)')
    .requiredOption('-o, --out <file>', 'the .stem.mp4 to write')
    .option('--codec <codec>', 'aac (default; Traktor everywhere) or alac (lossless; not Traktor on Windows)')
    .option('--bitrate <kbps>', 'AAC bit rate per stereo track (default 256)')
    .option('--aac-encoder <which>', "stemkit (default: stemkit's own encoder, on every core), ffmpeg (native FFmpeg) or wasm (FFmpeg's encoder as wasm)")
    .option('--aac-coder <coder>', "FFmpeg's AAC coder, implies --aac-encoder ffmpeg: twoloop or fast (about 3x faster, a little less accurate)")
    .option('--title <title>', 'title tag (default: the package title)')
    .option('--artist <artist>', 'artist tag')
    .option('--cover <file>', 'cover art, JPEG or PNG')
    .option('--slots <list>', 'names and colours of the 4 slots: "Drums:#009E73,Bass:#D55E00,Other:#CC79A7,Vox:#56B4E9"')
    .option('--roles <map>', 'which slot a stem joins, by role: "Perc=drums,Pad=music,Choir=vocals" (music and other go to the melody slot)')
    .option('--force', 'replace an existing file')
    .option('--json', 'print what was written as JSON')
    .action(async (pkg: string, options: import('./ni-stems.js').NiStemsCliOptions) => {
      code = await (await import('./ni-stems.js')).runNiStems(pkg, options, process.stdout, process.stderr);
    });

  program
    .command('verify')
    .description('re-hash a received delivery and re-check its nulls')
    .argument('<delivery>', 'the folder (or .zip) stemkit pack wrote')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, options: { json?: boolean }) => {
      code = await (await import('./pack.js')).runVerify(dir, options, process.stdout);
    });

  program
    .command('batch')
    .description('check a catalogue: every package under the roots, resumable, on this machine or through a Redis queue')
    .argument('[roots...]', 'folders (searched for packages), .stem.mp4 files, or quoted globs')
    .requiredOption('--out <dir>', 'RESULTS folder: results.jsonl, <id>/report.json, summary.html')
    .option('--profile <name>', 'judge every package by this profile (default: its stemkit.json profile, else music)')
    .option('--strict', 'warnings fail a package too')
    .option('--html', 'also write <id>/report.html per package')
    .option('--jobs <n>', 'packages checked at once on this machine (default: the core count)')
    .option('--json', 'print the run and the RESULTS summary as JSON')
    .option('--queue <redis-url>', 'enqueue the packages on BullMQ at redis://host:port for `stemkit worker`s, then collect their results')
    .option('--status', 'with --queue: show the queue\'s progress and exit')
    .option('--detach', 'with --queue: enqueue and exit; run the same command again to collect')
    .option('--attempts <n>', 'with --queue: tries per package before it is recorded as an error (default 3)')
    .addOption(new Option('--backoff-ms <ms>', 'with --queue: first retry delay, doubled each time (default 2000)').hideHelp())
    .action(async (roots: string[], options: import('./batch.js').BatchCliOptions) => {
      code = await (await import('./batch.js')).runBatch(roots, options, process.stdout, process.stderr);
    });

  program
    .command('worker')
    .description('run batch jobs from a Redis queue (BullMQ, sandboxed processes) until stopped (SIGTERM: finish the current jobs, then exit)')
    .requiredOption('--queue <redis-url>', 'redis://host:port of the batch queue')
    .option('--concurrency <n>', 'packages checked at once, each in its own process (default 1)')
    .addOption(new Option('--lock-ms <ms>', 'job lock duration; a worker silent this long has its job re-run (default 30000)').hideHelp())
    .addOption(new Option('--stalled-ms <ms>', 'how often stalled jobs are looked for (default 30000)').hideHelp())
    .action(async (options: import('./worker.js').WorkerCliOptions) => {
      code = await (await import('./worker.js')).runWorker(options, process.stdout, process.stderr);
    });

  program
    .command('init')
    .description('write a session from a folder of track exports, grouping tracks into stems by name')
    .argument('<tracks-dir>', 'folder of WAV/AIFF/FLAC track exports')
    .option('--out <file>', 'session file to write', 'session.yaml')
    .option('--force', 'overwrite an existing session file')
    .action(async (dir: string, options: { out?: string; force?: boolean }) => {
      code = await (await import('./init.js')).runInit(dir, options, process.stdout);
    });

  program
    .command('demo')
    .description('synthesize a song as multitracks, render its stem package, check it, write the HTML report')
    .argument('[dir]', 'output folder', 'stemkit-demo')
    .option('--force', 'replace a folder that holds anything but an untouched earlier demo')
    .action(async (dir: string, options: { force?: boolean }) => {
      code = await (await import('./demo.js')).runDemo(dir, process.stdout, process.stderr, options);
    });

  program
    .command('serve')
    .description('a browser stem mixer, sample-locked: mute, solo, faders, the null test you can hear')
    .argument('<package>', 'a package folder, or a folder of packages')
    .option('--port <n>', 'port to listen on (default 8377; 0: any free port)')
    .option('--host <host>', 'address to bind (default 127.0.0.1: this machine only)')
    .option('--open', 'open the mixer in the default browser')
    .option('--cache-dir <dir>', 'where waveform peaks are cached (default ~/.cache/stemkit/peaks)')
    .action(async (input: string, options: import('./serve.js').ServeCliOptions) => {
      code = await (await import('./serve.js')).runServe(input, options, process.stdout);
    });

  try {
    await loadNodeKernels();
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2;
    }
    process.stderr.write(formatError(err, process.stderr));
    return 2;
  }
  return code;
}

// A reader that goes away (`stemkit check … | head`) is not an error: stop quietly, no stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(formatError(err, process.stderr));
    process.exitCode = 2;
  },
);
