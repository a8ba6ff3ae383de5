import type { CheckReport } from '../check/types.js';
import { RULES } from '../check/rules/index.js';

const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/**
 * JUnit XML for CI systems that gate deliveries: one test case per rule and stem (and per rule for
 * the package as a whole); errors fail, warnings fail only under --strict, notes pass with output.
 */
export function renderJunit(report: CheckReport, strict = false): string {
  const subjects = [...report.stems.map((s) => s.name), ...(report.mix ? [report.mix.name] : []), null];
  const cases: string[] = [];
  let failures = 0;
  for (const rule of Object.keys(RULES)) {
    for (const subject of subjects) {
      const mine = report.findings.filter((f) => f.rule === rule && f.stem === subject);
      if (subject === null && mine.length === 0 && !rule.startsWith('package.') && !rule.startsWith('level.sum')) continue;
      const name = subject === null ? `${rule} (package)` : `${rule} — ${subject}`;
      const failing = mine.filter((f) => f.severity === 'error' || (strict && f.severity === 'warning'));
      let body = '';
      if (failing.length) {
        failures++;
        const f = failing[0]!;
        body = `<failure type="${f.severity}" message="${escape(f.message)}">${escape(failing.map((x) => `${x.message}\nfix: ${x.fix}`).join('\n\n'))}</failure>`;
      } else if (mine.length) {
        body = `<system-out>${escape(mine.map((x) => `${x.severity}: ${x.message}\nfix: ${x.fix}`).join('\n\n'))}</system-out>`;
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
