import type { CheckReport } from '../check/types.js';
import { RULE_IDS } from '../check/rules/index.js';
import type { Finding } from '../check/types.js';
import { basename } from 'node:path';
import type { ReportOptions } from './options.js';

/** Files named in one grouped finding's text; the JSON report lists them all. */
const MAX_FILES_LISTED = 20;

const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** A rule and the stem a finding is about (null: the package), as one map key. */
const subjectKey = (rule: string, stem: string | null) => `${rule}\u0000${stem === null ? '\u0001' : stem}`;

/**
 * JUnit XML for CI systems that gate deliveries: one test case per rule and stem (and per rule for
 * the package as a whole); errors fail, warnings fail only under --strict, notes pass with output.
 */
export function renderJunit(report: CheckReport, options: ReportOptions = {}): string {
  const strict = options.strict ?? false;
  const subjects = [...report.stems.map((s) => s.name), ...(report.mix ? [report.mix.name] : []), null];
  const cases: string[] = [];
  let failures = 0;
  // Indexed once: a thousand stems × every rule must not rescan every finding per test case.
  const bySubject = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const key = subjectKey(f.rule, f.stem);
    bySubject.set(key, [...(bySubject.get(key) ?? []), f]);
  }
  /** A finding's text, with the files of a grouped finding (one cause, many files) listed, capped. */
  const text = (f: Finding) => {
    const files = f.files ?? [];
    const listed = files.slice(0, MAX_FILES_LISTED).map((path) => basename(path));
    const more = files.length > MAX_FILES_LISTED ? ` … and ${files.length - MAX_FILES_LISTED} more` : '';
    return `${f.message}${files.length ? `\nfiles (${files.length}): ${listed.join(', ')}${more}` : ''}\nfix: ${f.fix}`;
  };
  for (const rule of RULE_IDS) {
    for (const subject of subjects) {
      const mine = bySubject.get(subjectKey(rule, subject)) ?? [];
      if (subject === null && mine.length === 0 && !rule.startsWith('package.') && !rule.startsWith('level.sum')) continue;
      const name = subject === null ? `${rule} (package)` : `${rule} — ${subject}`;
      const failing = mine.filter((f) => f.severity === 'error' || (strict && f.severity === 'warning'));
      let body = '';
      if (failing.length) {
        failures++;
        const f = failing[0]!;
        body = `<failure type="${f.severity}" message="${escape(f.message)}">${escape(failing.map(text).join('\n\n'))}</failure>`;
      } else if (mine.length) {
        body = `<system-out>${escape(mine.map((x) => `${x.severity}: ${text(x)}`).join('\n\n'))}</system-out>`;
      }
      cases.push(`    <testcase classname="stemkit.${escape(rule)}" name="${escape(name)}">${body}</testcase>`);
    }
  }
  const seconds = (report.elapsedMs / 1000).toFixed(3);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="stemkit check" tests="${cases.length}" failures="${failures}" time="${seconds}">`,
    `  <testsuite name="${escape(report.package.dir)} (${escape(report.profile)})" tests="${cases.length}" failures="${failures}" errors="0" time="${seconds}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
