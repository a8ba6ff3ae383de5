import type { CheckReport } from '../check/types.js';

/** What every report renderer takes; each uses the options that apply to it. */
export interface ReportOptions {
  /** ANSI colours (text report). Default false; the CLI turns them on for a TTY without NO_COLOR. */
  colour?: boolean;
  /** Warnings fail too (JUnit marks them as failures, as `check --strict` does). Default false. */
  strict?: boolean;
  /**
   * HTML: the address of this package in `stemkit serve`'s mixer (e.g. http://127.0.0.1:8377/#package);
   * each finding's time range then links there, to loop and hear it. Default: no links.
   */
  mixerUrl?: string;
}

/** The one signature of renderText, renderJunit and renderHtml. */
export type ReportRenderer = (report: CheckReport, options?: ReportOptions) => string;
