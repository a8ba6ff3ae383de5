import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROFILES } from '../src/check/profiles.js';
import { RULE_IDS, RULE_TABLE, RULES } from '../src/check/rules/index.js';
import { CheckJsonSchema } from '../src/check/report-schema.js';
import { ERROR_CODES } from '../src/errors.js';
import { generatedFiles, repoPath, ruleTableMarkdown } from '../scripts/generated.js';

describe('one rule table', () => {
  it('has each id once, in family.name form, each with its own rule function and a one-line description', () => {
    expect(new Set(RULE_IDS).size).toBe(RULE_TABLE.length);
    expect(new Set(RULES.map((r) => r.rule)).size).toBe(RULE_TABLE.length);
    for (const r of RULE_TABLE) {
      expect(r.id).toMatch(/^(format|package|level|timing|null|phase|stem)\.[a-z]+(-[a-z]+)*$/);
      expect(r.description).toMatch(/^[^\n|]{10,120}$/);
    }
  });

  it('gives the default profile\'s severity for rules a profile setting controls', () => {
    for (const r of RULE_TABLE) if ('setting' in r) expect([r.id, PROFILES.music[r.setting]]).toEqual([r.id, r.severity]);
  });

  const design = repoPath('../shared/DESIGN.md');
  it.skipIf(!existsSync(design))('holds every rule id of DESIGN.md (when ../shared/DESIGN.md is there)', () => {
    const ids = [...readFileSync(design, 'utf8').matchAll(/^\| ((?:format|package|level|timing|null|phase|stem)\.[a-z-]+) \|/gm)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(20);
    expect(RULE_IDS).toEqual(expect.arrayContaining(ids));
  });
});

describe('generated from the tables (run `npm run schema` after changing one)', () => {
  it.each(generatedFiles().map((f) => [f.path, f.text] as const))('%s is up to date', (path, text) => {
    expect(readFileSync(repoPath(path), 'utf8')).toBe(text);
  });

  it('the README lists every rule and every error code, in the tables\' order', () => {
    const readme = readFileSync(repoPath('README.md'), 'utf8');
    const section = (name: string) => readme.slice(readme.indexOf(`<!-- generated: ${name} `), readme.indexOf(`<!-- end generated: ${name} -->`));
    const firstColumn = (text: string) => [...text.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    expect(section('rules')).toContain(ruleTableMarkdown());
    expect(firstColumn(section('rules'))).toEqual(RULE_IDS);
    expect(firstColumn(section('error-codes'))).toEqual(Object.keys(ERROR_CODES));
  });

  it('the committed check schema takes its rule ids and error codes from the tables', () => {
    const schema = JSON.parse(readFileSync(repoPath('schema/check.schema.json'), 'utf8'));
    expect(schema.$defs.Finding.properties.rule.enum).toEqual(RULE_IDS);
    expect(schema.$defs.CheckedFile.properties.error.anyOf[0].properties.code.enum).toEqual(Object.keys(ERROR_CODES));
  });

  it('the schema refuses a rule id or error code that is not in the tables', () => {
    const report = {
      schema: 'stemkit.check/1', ok: true, profile: 'music', package: { dir: '/p', mix: null, stems: [], alternates: [] },
      stems: [], mix: null, sum: null, null: null, nullSkipped: 'null test not run: no reference mix', notes: [], elapsedMs: 1,
      findings: [{ rule: 'package.no-mix', severity: 'warning', file: null, stem: null, message: 'm', value: null, limit: null, ranges: [], fix: 'f' }],
    };
    expect(CheckJsonSchema.safeParse(report).success).toBe(true);
    expect(CheckJsonSchema.safeParse({ ...report, findings: [{ ...report.findings[0], rule: 'package.nope' }] }).success).toBe(false);
    const broken = { name: 'A', path: '/p/A.wav', format: null, timeReference: null, measure: null, offsetSamples: null, startOffsetSamples: null };
    expect(CheckJsonSchema.safeParse({ ...report, stems: [{ ...broken, error: { code: 'E_INTERNAL', message: 'x', hint: 'h' } }] }).success).toBe(true);
    expect(CheckJsonSchema.safeParse({ ...report, stems: [{ ...broken, error: { code: 'E_NOPE', message: 'x', hint: 'h' } }] }).success).toBe(false);
  });
});
