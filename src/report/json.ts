import type { CheckReport } from '../check/types.js';

/** The JSON contract: the report without its plot data (that goes to --html). */
export function reportJson(report: CheckReport): Omit<CheckReport, 'plots'> {
  const { plots: _plots, ...rest } = report;
  return rest;
}
