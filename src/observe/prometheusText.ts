/** The exposition format's metric name grammar. */
export const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** `# HELP` text may not hold raw newlines or unescaped backslashes. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as Prometheus' Go float parser reads it. */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
