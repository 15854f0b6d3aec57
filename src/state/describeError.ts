const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // scheme://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi, '$1***@'],
  [/\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|token|digest)\s+)?[^\s"',;]+/gi, '$1***'],
  [/\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}/gi, '$1 ***'],
  [/\b((?:password|passwd|pwd|token|access_token|api[_-]?key|apikey|secret|client_secret|auth)["']?\s*[=:]\s*["']?)[^\s&#"',;]+/gi, '$1***'],
];

/** Strips credentials and URL userinfo from a text bound for the ledger or a log. */
export function redactSecrets(text: string): string {
  return SECRET_PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

export const MAX_ERROR_LENGTH = 1000;

/** One redacted line describing an error (message, code, cause). */
export function describeError(error: string | Error): string {
  let text: string;
  if (typeof error === 'string') {
    text = error;
  } else {
    const code = (error as { code?: unknown }).code;
    const status = (error as { status?: unknown }).status;
    text = `${error.name}: ${error.message}`;
    if (typeof status === 'number') {
      text += ` (status ${status})`;
    }
    if (typeof code === 'string') {
      text += ` (${code})`;
    }
    if (error.cause instanceof Error) {
      const causeCode = (error.cause as { code?: unknown }).code;
      text += `; cause: ${error.cause.message}${typeof causeCode === 'string' ? ` (${causeCode})` : ''}`;
    }
  }
  const redacted = redactSecrets(text.replace(/\s+/g, ' ').trim());
  return redacted.length > MAX_ERROR_LENGTH ? `${redacted.slice(0, MAX_ERROR_LENGTH - 1)}…` : redacted;
}
