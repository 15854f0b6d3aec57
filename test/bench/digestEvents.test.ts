import { expect } from 'chai';
import { digestEvents } from '../../src/bench/digestEvents.js';
import type { AgentEvent } from '../../src/observe/AgentEvent.js';

describe('digestEvents', () => {
  it('should time each file from the first seen and track the bytes still to send', () => {
    const events: AgentEvent[] = [
      { type: 'seen', at: 1000, path: '/w/a.png', bytes: 100 },
      { type: 'seen', at: 1010, path: '/w/b.png', bytes: 200 },
      { type: 'reduce-start', at: 1010, path: '/w/a.png' },
      { type: 'reduced', at: 1030, path: '/w/a.png', bytesIn: 100, bytesOut: 40, cpuMs: 20, reduced: true },
      { type: 'upload-start', at: 1030, path: '/w/a.png', bytes: 40 },
      { type: 'uploaded', at: 1050, path: '/w/a.png', bytes: 40, status: 200, durationMs: 20 },
      { type: 'upload-start', at: 1050, path: '/w/b.png', bytes: 200 },
      { type: 'failed', at: 1060, path: '/w/b.png', status: 500, error: 'boom' },
    ];
    const digest = digestEvents(events);
    expect(digest.startAt).to.equal(1000);
    expect(digest.queued).to.deep.equal([
      [0, 100],
      [10, 300],
      [30, 240],
      [30, 240],
      [50, 200],
      [50, 200],
      [60, 0],
    ]);
    expect(digest.files[0]).to.deep.equal({
      name: 'a.png',
      bytes: 100,
      seenMs: 0,
      reduceStartMs: 10,
      reducedMs: 30,
      reduced: true,
      reducedBytes: 40,
      reduceCpuMs: 20,
      uploadStartMs: 30,
      uploadedMs: 50,
      sentBytes: 40,
    });
    expect(digest.files[1]!.error).to.equal('boom');
  });
});
