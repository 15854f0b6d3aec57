/**
 * The digest a NATS object store records for content with this SHA-256.
 *
 * The store writes `SHA-256=` and the digest in padded base64url; the agent hashes in hex.
 *
 * ```ts
 * objectDigestOf('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
 * // => 'SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU='
 * ```
 *
 * @param sha256Hex The SHA-256 as 64 hex digits.
 * @returns The object store's digest text.
 */
export function objectDigestOf(sha256Hex: string): string {
  return `SHA-256=${Buffer.from(sha256Hex, 'hex').toString('base64url')}=`;
}
