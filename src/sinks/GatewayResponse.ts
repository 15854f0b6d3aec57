/** What a gateway transport reports for one answered request. */
export interface GatewayResponse {
  /** HTTP status code. */
  readonly status: number;
  /** Response body as text. */
  readonly text: string;
  /** Bytes of request body sent. */
  readonly bytesSent: number;
  /** The `Retry-After` header, when the gateway sent one (seconds or an HTTP date). */
  readonly retryAfter?: string;
}
