/**
 * One HTTP request the gateway sink asks its transport to make.
 *
 * The transport sends the file at `bodyPath` as the body with an explicit `Content-Length`;
 * `headers` already hold `Authorization` and the `X-HASTE-*` headers.
 */
export interface GatewayRequest {
  /** Full URL, e.g. `http://localhost:8080/stream/2026_11_25__03_19_00_vironova`. */
  readonly url: string;
  /** Request headers, all values legal HTTP header text. */
  readonly headers: Readonly<Record<string, string>>;
  /** The file whose bytes form the body. */
  readonly bodyPath: string;
  /**
   * The body's bytes, when the job brought them (read at admission): the transport sends these
   * instead of reading `bodyPath`, once it has checked that the path still holds the admitted
   * file (`bodyIdentity`). @default read from `bodyPath`
   */
  readonly body?: Buffer;
  /**
   * What the body file must still be when it is opened (for an original: the size, mtime,
   * device and inode it was admitted with). The transport opens `bodyPath` without following
   * a symlink, checks these on the open descriptor and sends nothing if they differ.
   * @default only "a regular file, not a symlink" is checked
   */
  readonly bodyIdentity?: { readonly size?: number; readonly mtimeMs?: number; readonly dev?: number; readonly ino?: number };
}
