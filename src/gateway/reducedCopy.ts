// How the embedded gateway tells a reduced copy from an original, and names it so that nobody
// opens PNG bytes under the original's `.tif` name.

/** What an agent said about a reduced copy it sent in place of the original. */
export interface BlobReduction {
  /** The copy's media type from `Content-Type`, lower-cased without parameters, e.g. `image/png`. */
  readonly contentType: string;
  /** `X-HASTE-reduction` as key/value pairs, e.g. `{ reducer: 'reduceImage', tolerance: '30' }`. */
  readonly settings: Readonly<Record<string, string>>;
}

/** Thrown for a malformed `X-HASTE-reduction` or `Content-Type`; its message is the 400 body. */
export class BadReductionHeader extends Error {}

const mediaType = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
const settingName = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const maxSettings = 32;

/**
 * Reads the headers that mark a reduced copy; `undefined` for an original (no `X-HASTE-reduction`).
 *
 * `X-HASTE-reduction` is a `;`-separated list of `key=value` naming the reducer and its settings
 * (`reducer=reduceImage; tolerance=30; compressionLevel=6`); it must name the `reducer`. Without a
 * `Content-Type` the copy is `application/octet-stream`, as HTTP reads a body of no stated type.
 *
 * @throws {BadReductionHeader} When either header is malformed.
 */
export function readReduction(reductionHeader: string | undefined, contentTypeHeader: string | undefined): BlobReduction | undefined {
  if (reductionHeader === undefined) return undefined;
  const pairs = reductionHeader
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const settings: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    const key = equals < 0 ? pair : pair.slice(0, equals).trim();
    const value = equals < 0 ? '' : pair.slice(equals + 1).trim();
    if (!settingName.test(key) || value === '' || Object.hasOwn(settings, key)) {
      throw new BadReductionHeader('X-HASTE-reduction must be a ;-separated list of distinct key=value pairs, e.g. "reducer=reduceImage; tolerance=30".');
    }
    settings[key] = value;
  }
  if (settings.reducer === undefined || pairs.length > maxSettings) {
    throw new BadReductionHeader(`X-HASTE-reduction must name the reducer (reducer=...) in at most ${maxSettings} pairs.`);
  }
  const contentType = (contentTypeHeader ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
  if (!mediaType.test(contentType)) {
    throw new BadReductionHeader('Content-Type must be a media type such as image/png.');
  }
  return { contentType, settings };
}

/** `{ reducer: 'reduceImage', tolerance: '30' }` => `reducer=reduceImage; tolerance=30`, for logs. */
export function formatSettings(settings: Readonly<Record<string, string>>): string {
  return Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join('; ');
}

const extensions: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/tiff': 'tif',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif',
  'image/jxl': 'jxl',
  'application/gzip': 'gz',
  'application/x-gzip': 'gz',
  'application/zstd': 'zst',
  'application/json': 'json',
  'text/csv': 'csv',
  'text/plain': 'txt',
};

/**
 * The stored name of a reduced copy: the original's safe name, `.reduced`, and the extension of
 * the copy's real format (`frame.tif` as `image/png` => `frame.tif.reduced.png`).
 *
 * The original's name stays readable and `.reduced` keeps the copy apart from an original of the
 * same format (`frame.png` reduced is `frame.png.reduced.png`). A type without a known extension
 * gets `.bin`: an honest "open me as bytes", where a guess could be wrong.
 */
export function reducedName(safeOriginalName: string, contentType: string): string {
  return `${safeOriginalName}.reduced.${extensions[contentType] ?? 'bin'}`;
}
