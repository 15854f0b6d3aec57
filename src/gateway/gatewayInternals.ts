import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Stream ids are used as folder names, so only a conservative alphabet gets through. */
export const streamIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * Checks an `Authorization` header against the expected Basic credentials in constant time.
 *
 * Both sides are hashed first so the comparison takes the same time whatever their lengths.
 */
export function createAuthCheck(username: string, password: string): (header: string | undefined) => boolean {
  const expected = createHash('sha256').update(`${username}:${password}`, 'utf8').digest();
  return (header) => {
    const match = /^basic\s+([A-Za-z0-9+/=]*)\s*$/i.exec(header ?? '');
    const given = match === null ? '\u0000' : Buffer.from(match[1] ?? '', 'base64').toString('utf8');
    const actual = createHash('sha256').update(given, 'utf8').digest();
    return timingSafeEqual(actual, expected) && match !== null;
  };
}

/** Decodes valid `%XX` runs and leaves anything that is not valid UTF-8 as it was. */
export function decodePercent(value: string): string {
  return value.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

const maxNameBytes = 200;

/**
 * Reduces an original file name to a harmless single path segment.
 *
 * Keeps the basename (either slash), replaces control and Windows-reserved characters with `_`,
 * strips leading dots and spaces (no `..`, no hidden files, no clash with the `.part` temp
 * files) and caps the length; falls back to `blob`.
 */
export function safeFileName(originalFilename: string): string {
  const base = originalFilename.split(/[\\/]/).pop() ?? '';
  let name = base
    .replace(/[\x00-\x1F\x7F]/g, '_')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .trimEnd();
  if (Buffer.byteLength(name, 'utf8') > maxNameBytes) {
    // Cut on code points so a multi-byte character is never split.
    let kept = '';
    for (const char of name) {
      if (Buffer.byteLength(kept + char, 'utf8') > maxNameBytes) {
        break;
      }
      kept += char;
    }
    name = kept.trimEnd();
  }
  return name === '' ? 'blob' : name;
}

/** `photo.png`, 2 => `photo-2.png`. */
export function withSuffix(name: string, n: number): string {
  if (n === 0) {
    return name;
  }
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}-${n}${name.slice(dot)}` : `${name}-${n}`;
}

/** The first value of a request header (Node joins most repeats, but not all). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
