// What goes into the upload's headers: the file name, the reduction settings, and reading the
// gateway's Retry-After back.

/** Printable ASCII: the only bytes every HTTP stack passes through a header untouched. */
const printableAscii = /^[\x20-\x7E]*$/;

/**
 * Makes a file name legal as a header value.
 *
 * Printable ASCII names go out unchanged, so the gateway sees exactly what the Python agent
 * sent for them. Any other name has every character outside 0x20-0x7E, and also `%`, replaced
 * by the percent-encoded bytes of its UTF-8 form (as `encodeURIComponent` would write them);
 * escaping `%` too keeps `decodeURIComponent` on the receiving side exact for such names.
 * Lone surrogates become U+FFFD.
 */
export function encodeHeaderFilename(name: string): string {
  if (printableAscii.test(name)) {
    return name;
  }
  return name.replace(/[^\x20-\x24\x26-\x7E]/gu, (char) =>
    Array.from(Buffer.from(char, 'utf8'), (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/**
 * The `X-HASTE-reduction` value for a body that is not the original: `key=value` pairs joined
 * by `; `, the reducer first (`reducer=reduceImage; tolerance=30; compressionLevel=6`). Keys
 * and values are reduced to header-safe text; without settings the reducer is `unknown`.
 */
export function formatReductionHeader(settings: Readonly<Record<string, string | number | boolean>> | undefined): string {
  const entries = Object.entries(settings ?? {}).filter(([key]) => key !== 'reducer');
  const reducer = settings?.reducer ?? 'unknown';
  return [['reducer', reducer] as const, ...entries]
    .map(([key, value]) => `${headerToken(key)}=${headerToken(String(value))}`)
    .join('; ');
}

function headerToken(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9._+\-\/:]/g, (char) => encodeURIComponent(char).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
  return safe === '' ? '_' : safe;
}

/**
 * Reads a `Retry-After` value (delay seconds or an HTTP date) as milliseconds from `nowMs`.
 * Unparseable or past values give undefined, so the caller's own backoff applies.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
