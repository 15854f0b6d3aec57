import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { FileItem } from '../../src/model/FileItem.js';
import { GatewayError } from '../../src/model/GatewayError.js';
import type { GatewayResponse } from '../../src/sinks/GatewayResponse.js';
import { postToGateway } from '../../src/sinks/postToGateway.js';

// The marble diagram in postToGateway's JSDoc, run as written: each post answers 2 frames after
// it starts, one at a time.
const diagram = {
  source: 'a-b-c|',
  post: '--r|',
  result: '--A-B-(C|)',
};

describe('postToGateway (JSDoc diagram)', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('should carry the diagram this file runs', async () => {
    const source = await readFile(new URL('../../src/sinks/postToGateway.ts', import.meta.url), 'utf8');

    expect(source).to.include(` * source:  ${diagram.source}\n`);
    expect(source).to.include(` * post:    ${diagram.post} `);
    expect(source).to.include(` * result:  ${diagram.result} `);
  });

  it('should emit each result as its upload answers, with concurrency 1', () => {
    const item = (name: string, index: number): FileItem => ({ path: `/in/${name}.tif`, size: 3, mtimeMs: 0, index });
    const ok: GatewayResponse = { status: 200, text: '{"result": "OK!"}', bytesSent: 3 };
    testScheduler.run(({ cold, expectObservable }) => {
      const jobs = { a: { item: item('a', 0) }, b: { item: item('b', 1) }, c: { item: item('c', 2) } };
      const operator = postToGateway({
        host: 'localhost:8080',
        username: 'u',
        password: 'p',
        streamId: 'sid',
        scheduler: testScheduler,
        clock: () => 0,
        concurrency: 1,
        post: () => cold(diagram.post, { r: ok }),
      });
      const names = map((r: unknown) => (r instanceof GatewayError ? r.message : (r as { item: FileItem }).item.path));

      expectObservable(cold(diagram.source, jobs).pipe(operator, names)).toBe(diagram.result, {
        A: '/in/a.tif',
        B: '/in/b.tif',
        C: '/in/c.tif',
      });
    });
  });
});
