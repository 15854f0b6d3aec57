import { expect } from 'chai';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';

const auth = `Basic ${Buffer.from('agent:s3cret').toString('base64')}`;

function post(gateway: RunningGateway, name: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: '127.0.0.1',
        port: gateway.port,
        path: '/stream/throttle_test',
        method: 'POST',
        headers: {
          Authorization: auth,
          'Content-Length': String(body.length),
          'X-HASTE-original_filename': name,
          'X-HASTE-tag': 'vironova',
          'X-HASTE-unixtime': '1764040740.1',
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('startGateway (maxBytesPerSecond)', () => {
  let gateway: RunningGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('should throw a TypeError for a rate that is not a positive number', async () => {
    for (const bad of [0, -1, Number.NaN, Infinity]) {
      let caught: unknown;
      try {
        await startGateway({ port: 0, username: 'agent', password: 's3cret', maxBytesPerSecond: bad });
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(TypeError);
      expect((caught as Error).message).to.contain('maxBytesPerSecond');
    }
  });

  it('should hold two concurrent uploads together to about the configured rate', async () => {
    // 2 × 96 KiB at 256 KiB/s: about 0.75 s minus one 16 KiB burst; unthrottled it takes ~1 ms.
    const rate = 256 * 1024;
    gateway = await startGateway({ port: 0, username: 'agent', password: 's3cret', maxBytesPerSecond: rate });
    const body = Buffer.alloc(96 * 1024, 7);
    const started = performance.now();
    const statuses = await Promise.all([post(gateway, 'a.bin', body), post(gateway, 'b.bin', body)]);
    const seconds = (performance.now() - started) / 1000;
    expect(statuses).to.deep.equal([200, 200]);
    expect(gateway.received.map((blob) => blob.bytes)).to.deep.equal([body.length, body.length]);
    const expected = (2 * body.length - 16384) / rate;
    expect(seconds).to.be.within(expected * 0.9, expected * 2 + 0.5);
  });
});
