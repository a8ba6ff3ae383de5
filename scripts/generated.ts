/**
 * Files generated from the code's own tables, so that nothing is a hand-copied list: the JSON
 * Schemas of the session file and of `stemkit.check/1`, and the rule and error-code tables of README.md and DESIGN.md
 * (between `<!-- generated: NAME -->` and `<!-- end generated: NAME -->`). `npm run schema` writes
 * them; test/generated.test.ts fails when a committed one is out of date.
 */
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../src/errors.js';
import { RULE_TABLE } from '../src/check/rules/index.js';
import { checkJsonSchema } from '../src/check/report-schema.js';
import { sessionJsonSchema } from '../src/session/json-schema.js';

const ROOT = new URL('../', import.meta.url);

/** The README's rule table: id, severity under the default profile (and the profile setting that changes it), what it catches. */
export function ruleTableMarkdown(): string {
  const rows = RULE_TABLE.map((r) => {
    const setting = 'setting' in r ? ` (profile: \`${r.setting}\`)` : '';
    return `| \`${r.id}\` | ${r.severity}${setting} | ${r.description} |`;
  });
  return ['| id | default | what it catches |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The README's table of StemkitError codes. */
export function errorCodeMarkdown(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`);
  return ['| code | meaning |', '| --- | --- |', ...rows].join('\n');
}

/** `text` with the section NAME's body replaced; throws when its markers are missing. */
export function withSection(text: string, name: string, body: string): string {
  const begin = `<!-- generated: ${name} (npm run schema) -->\n`;
  const end = `<!-- end generated: ${name} -->`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end, from);
  if (from < 0 || to < 0) throw new Error(`the file has no generated section "${name}" (${begin.trim()} … ${end})`);
  return text.slice(0, from + begin.length) + body + '\n' + text.slice(to);
}

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

/** Every generated file: its path from the repository root and the text it must hold. */
export function generatedFiles(): { path: string; text: string }[] {
  const tables = (path: string) => {
    const text = readFileSync(new URL(path, ROOT), 'utf8');
    return { path, text: withSection(withSection(text, 'rules', ruleTableMarkdown()), 'error-codes', errorCodeMarkdown()) };
  };
  return [
    { path: 'schema/session.schema.json', text: json(sessionJsonSchema()) },
    { path: 'schema/check.schema.json', text: json(checkJsonSchema()) },
    tables('README.md'),
    tables('DESIGN.md'),
  ];
}

export function repoPath(path: string): URL {
  return new URL(path, ROOT);
}
