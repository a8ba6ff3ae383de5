import type { Writer } from '../report/terminal.js';

/** A one-line progress indicator on a TTY; silent when the stream is piped or output is JSON. */
export function progressLine(stream: Writer & { isTTY?: boolean }, enabled: boolean) {
  const on = enabled && Boolean(stream.isTTY);
  let last = '';
  return {
    update(label: string, fraction: number): void {
      if (!on) return;
      const width = 24;
      const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
      const text = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}%`;
      if (text !== last) stream.write(`\r${text}\x1b[K`);
      last = text;
    },
    done(): void {
      if (on && last) stream.write('\r\x1b[K');
      last = '';
    },
  };
}
