/** Binary units for sizes (what `ls -h` and file managers show). */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (!Number.isFinite(bytes)) return '?';
  if (Math.abs(bytes) < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 'B';
  for (const next of units) {
    if (Math.abs(value) < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}

/** Decimal units for rates, as link speeds are quoted. */
export function formatRate(bytesPerSecond: number | undefined): string {
  if (bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond)) return '?';
  const units = ['kB/s', 'MB/s', 'GB/s'];
  if (bytesPerSecond < 1000) return `${Math.round(bytesPerSecond)} B/s`;
  let value = bytesPerSecond;
  let unit = 'B/s';
  for (const next of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}

/** `45s`, `1m05s`, `2h03m`; `?` when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '?';
  // Round first so 59.6 s reads 1m00s, not 60s.
  const total = Math.round(seconds);
  if (total < 60) return `${total}s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (total < 3600) return `${Math.floor(total / 60)}m${pad(total % 60)}s`;
  return `${Math.floor(total / 3600)}h${pad(Math.floor((total % 3600) / 60))}m`;
}

/** `4 s`, or `250 ms` under a second: the wait before a retry. */
export function formatWait(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 1000)} s`;
}
