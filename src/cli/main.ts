#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { runDemo } from './demo.js';
import { runInfo } from './info.js';
import { formatError } from './terminal.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Exit codes (DESIGN.md): 0 good, 1 defects in the input, 2 usage error or nothing could be read. */
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
      code = await runInfo(files, options, process.stdout);
    });

  program
    .command('demo')
    .description('synthesize a short song as stems plus mix, write the package and show it')
    .argument('[dir]', 'output folder', 'stemkit-demo')
    .action(async (dir: string) => {
      code = await runDemo(dir, process.stdout);
    });

  try {
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(formatError(err, process.stderr));
    process.exitCode = 2;
  },
);
