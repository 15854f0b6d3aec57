// Shared by the gateway tests: raw HTTP requests (so paths and headers go out verbatim) and the
// protocol headers of one blob.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export const goodAuth = `Basic ${Buffer.from('agent:s3cret').toString('base64')}`;
export const sid = '2026_11_25__03_19_00_vironova';

export function sha256(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The protocol headers of one upload, with the content hash the agent sends. */
export function blobHeaders(filename: string, body: Buffer | string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    Authorization: goodAuth,
    'X-HASTE-original_filename': filename,
    'X-HASTE-tag': 'vironova',
    'X-HASTE-unixtime': '1764040740.123',
    'X-HASTE-content-sha256': sha256(body),
    ...extra,
  };
}

/** POSTs one blob to the test stream and resolves with the answer. */
export function postBlob(gateway: RunningGateway, headers: Record<string, string>, body: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const bytes = Buffer.from(body);
    const req = request(
      {
        hostname: '127.0.0.1',
        port: gateway.port,
        path: `/stream/${sid}`,
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(bytes.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(bytes);
  });
}

/** Polls `check` every 10 ms for up to 2 s. */
export async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}
