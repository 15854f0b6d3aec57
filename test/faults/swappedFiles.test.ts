import { expect } from 'chai';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, Subject, type Subscription } from 'rxjs';
import { runAgent } from '../../src/agent/runAgent.js';
import type { FileItem } from '../../src/model/FileItem.js';
import { reduceImage } from '../../src/reducers/reduceImage.js';
import { supersededReason } from '../../src/agent/runAgentInternals.js';
import type { AgentEvent } from '../../src/observe/AgentEvent.js';
import { reduciblePng } from '../agent/agentTestKit.js';
import { until } from './faultKit.js';

/**
 * A receiver that keeps every body it gets and ignores `X-HASTE-content-sha256`, as the real
 * HASTE gateway does; it holds the first request until `release` is called.
 */
async function startHoldingReceiver(): Promise<{ url: string; bodies: Buffer[]; held: () => boolean; release: () => void; server: Server }> {
  const bodies: Buffer[] = [];
  let releaseFirst: (() => void) | undefined;
  let held = false;
  const gate = new Promise<void>((resolve) => {
    releaseFirst = resolve;
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      const answer = () => res.end('{"result": "OK!"}');
      if (bodies.length === 1) {
        held = true;
        void gate.then(answer);
      } else {
        answer();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `127.0.0.1:${port}`, bodies, held: () => held, release: () => releaseFirst!(), server };
}

describe('a queued file swapped or rewritten before it is sent', () => {
  let root: string;
  let watched: string;
  let receiver: Awaited<ReturnType<typeof startHoldingReceiver>>;
  let subscription: Subscription | undefined;
  const secret = Buffer.from('ROOT-ONLY-SECRET-'.repeat(64));

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-swap-'));
    watched = join(root, 'watched');
    await mkdir(watched);
    await writeFile(join(root, 'secret.dat'), secret);
    receiver = await startHoldingReceiver();
  });

  afterEach(async () => {
    subscription?.unsubscribe();
    receiver.server.closeAllConnections();
    receiver.server.close();
    await rm(root, { recursive: true, force: true });
  });

  /**
   * Starts the agent with one upload slot, so a second file waits while the first is held. With
   * `reduce`, files are reduced by the real image reducer, queued.png only once `reduceAfter`
   * resolves, so the swap surely comes after admission and before the reducer opens the file.
   */
  function startAgent(reduce: boolean, events: AgentEvent[], stop: Subject<void>, reduceAfter?: Promise<void>): Subscription {
    const gate = (item: FileItem) => (item.path.endsWith('queued.png') && reduceAfter !== undefined ? reduceAfter : Promise.resolve());
    const reduceFile = (item: FileItem) => from(gate(item).then(() => reduceImage(item, { spoolDir: join(root, 'spool') })));
    return runAgent({
        ...(reduce ? { reduceFile } : {}),
        path: watched,
        host: receiver.url,
        username: 'lab',
        password: 'pw',
        strategy: reduce ? 'fifo' : 'none',
        cores: 1,
        uploadSlots: 1,
        rescanIntervalMs: 0,
        watch: { awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 20 } },
        stop,
      }).subscribe({ next: (event) => events.push(event) });
  }

  for (const reduce of [false, true]) {
    it(`should send not one byte of a symlink's target swapped in for it${reduce ? ' when it was to be reduced' : ''}`, async () => {
      const events: AgentEvent[] = [];
      const stop = new Subject<void>();
      let swapped!: () => void;
      subscription = startAgent(reduce, events, stop, new Promise<void>((resolve) => (swapped = resolve)));
      const first = join(watched, 'first.dat');
      const queued = join(watched, 'queued.png');
      await writeFile(first, Buffer.alloc(4096, 1));
      await until(() => receiver.held(), 'the first upload to be in flight');
      await writeFile(queued, await reduciblePng(3));
      await until(() => events.some((event) => event.type === 'seen' && event.path === queued), 'the second file to be queued');
      await rm(queued);
      await symlink(join(root, 'secret.dat'), queued);
      swapped();
      receiver.release();
      await until(() => events.some((event) => event.type === 'failed' && event.path === queued), 'the swapped file to fail');

      const leaked = receiver.bodies.some((body) => body.includes(secret.subarray(0, 16)));
      expect(leaked, 'secret bytes at the receiver').to.equal(false);
      expect(receiver.bodies).to.have.length(1);
      const failed = events.find((event) => event.type === 'failed' && event.path === queued) as Extract<AgentEvent, { type: 'failed' }>;
      expect(failed.error).to.match(/symbolic link|ELOOP|not the file that was admitted/);
      stop.next();
    });
  }

  it('should skip a version rewritten while it waited, not fail it, and send the new version', async () => {
    const events: AgentEvent[] = [];
    const stop = new Subject<void>();
    subscription = startAgent(false, events, stop);
    const first = join(watched, 'first.dat');
    const queued = join(watched, 'queued.dat');
    await writeFile(first, Buffer.alloc(4096, 1));
    await until(() => receiver.held(), 'the first upload to be in flight');
    await writeFile(queued, Buffer.alloc(1000, 2));
    await until(() => events.some((event) => event.type === 'seen' && event.path === queued), 'the second file to be queued');
    const rewritten = Buffer.alloc(3000, 3);
    await writeFile(queued, rewritten);
    receiver.release();
    await until(() => events.some((event) => event.type === 'uploaded' && event.path === queued), 'the new version to arrive');

    expect(events.filter((event) => event.type === 'failed')).to.deep.equal([]);
    const skipped = events.filter((event) => event.type === 'skipped' && event.path === queued);
    expect(skipped.map((event) => (event as Extract<AgentEvent, { type: 'skipped' }>).reason)).to.deep.equal([supersededReason]);
    expect(receiver.bodies.map((body) => body.length)).to.deep.equal([4096, 3000]);
    expect(receiver.bodies[1]!.equals(rewritten)).to.equal(true);
    stop.next();
  });
});
