import { expect } from 'chai';
import type { AgentEvent } from '../../src/observe/AgentEvent.js';
import { formatLogLine } from '../../src/observe/formatLogLine.js';

const at = Date.UTC(2026, 10, 25, 3, 4, 5, 6);
const iso = '2026-11-25T03:04:05.006Z';

const events: Record<AgentEvent['type'], AgentEvent> = {
  seen: { type: 'seen', at, path: '/d/a.png', bytes: 4096 },
  skipped: { type: 'skipped', at, path: '/d/a.png', bytes: 4096, reason: 'acknowledged in an earlier run' },
  'reduce-start': { type: 'reduce-start', at, path: '/d/a.png' },
  reduced: { type: 'reduced', at, path: '/d/a.png', bytesIn: 4096, bytesOut: 1024, cpuMs: 90, reduced: true },
  'upload-start': { type: 'upload-start', at, path: '/d/a.png', bytes: 1024 },
  uploaded: { type: 'uploaded', at, path: '/d/a.png', bytes: 2048, status: 200, durationMs: 500 },
  retried: { type: 'retried', at, path: '/d/a.png', attempt: 2, delayMs: 1500, error: 'HTTP 503' },
  failed: { type: 'failed', at, path: '/d/a.png', status: 0, error: 'connect ECONNREFUSED' },
  'ledger-degraded': {
    type: 'ledger-degraded',
    at,
    path: '/var/lib/haste-agent',
    code: 'ENOSPC',
    error: 'Error: ENOSPC: no space left on device, write (ENOSPC)',
    attempt: 3,
    retryInMs: 4000,
    failedWrites: 3,
  },
  'ledger-recovered': { type: 'ledger-recovered', at, path: '/var/lib/haste-agent', downMs: 7000, failedWrites: 3 },
  'ledger-repaired': { type: 'ledger-repaired', at, path: '/var/lib/haste-agent', dropped: 1, message: 'ledger in /var/lib/haste-agent was damaged: dropped 1 record' },
  waiting: { type: 'waiting', at, files: 95_904, bytes: 98_205_696 },
};

describe('formatLogLine', () => {
  it('should describe every event type in one human line', () => {
    const lines = Object.values(events).map((event) => formatLogLine(event, 'human'));
    expect(lines).to.deep.equal([
      `${iso} seen /d/a.png 4.0 KiB`,
      `${iso} skipped /d/a.png 4.0 KiB: acknowledged in an earlier run`,
      `${iso} reducing /d/a.png`,
      `${iso} reduced /d/a.png 4.0 KiB -> 1.0 KiB in 90ms CPU`,
      `${iso} uploading /d/a.png 1.0 KiB`,
      `${iso} uploaded /d/a.png 2.0 KiB HTTP 200 in 500ms (4.1 kB/s)`,
      `${iso} retrying /d/a.png (attempt 2) in 1.5s: HTTP 503`,
      `${iso} failed /d/a.png: connect ECONNREFUSED`,
      `${iso} ledger cannot write (ENOSPC), retrying in 4 s (attempt 3); no new files start until it can: Error: ENOSPC: no space left on device, write (ENOSPC)`,
      `${iso} ledger writable again after 7.0s (3 failed writes so far); carrying on`,
      `${iso} warning: ledger in /var/lib/haste-agent was damaged: dropped 1 record`,
      `${iso} waiting 95904 files (93.7 MiB) found and not yet admitted`,
    ]);
  });

  it('should count the files of a summary of skips, with their bytes and reason, in both formats', () => {
    const summary = { type: 'skipped-summary', at, files: 6512, bytes: 6_668_288, reason: 'acknowledged in an earlier run' } as const;
    expect(formatLogLine(summary, 'human')).to.equal(`${iso} skipped 6512 files (6.4 MiB): acknowledged in an earlier run`);
    expect(JSON.parse(formatLogLine(summary, 'json'))).to.deep.equal({ time: iso, ...summary });
  });

  it('should say why a file was not reduced and show an HTTP status on failure', () => {
    const skipped: AgentEvent = { type: 'reduced', at, path: 'b.tif', bytesIn: 9, bytesOut: 9, cpuMs: 2, reduced: false, reason: 'would grow' };
    expect(formatLogLine(skipped, 'human')).to.equal(`${iso} not reduced b.tif (would grow) in 2ms CPU`);
    expect(formatLogLine({ type: 'failed', at, path: 'b.tif', status: 413, error: 'too big' }, 'human')).to.equal(
      `${iso} failed b.tif HTTP 413: too big`,
    );
  });

  it('should keep a multi-line error on one human line', () => {
    const line = formatLogLine({ type: 'failed', at, path: 'a', status: 500, error: 'Internal\r\nServer Error\n' }, 'human');
    expect(line).to.equal(`${iso} failed a HTTP 500: Internal Server Error `);
  });

  it('should write one parseable JSON object per event with an ISO time and every field', () => {
    for (const event of Object.values(events)) {
      const line = formatLogLine(event, 'json');
      expect(line).to.not.include('\n');
      expect(JSON.parse(line)).to.deep.equal({ time: iso, ...event });
      expect(line.startsWith('{"time":')).to.equal(true);
    }
  });

  it('should escape newlines in JSON rather than break the line', () => {
    const line = formatLogLine({ type: 'retried', at, path: 'a', attempt: 2, delayMs: 1, error: 'a\nb' }, 'json');
    expect(line.split('\n')).to.have.length(1);
    expect(JSON.parse(line).error).to.equal('a\nb');
  });

  it('should drop password and authorization keys at any depth', () => {
    const leaky = {
      ...events.failed,
      password: 'hunter2',
      Authorization: 'Basic aHVudGVyMg==',
      request: { headers: { authorization: 'Basic x', accept: '*/*' }, password: 'p' },
    } as unknown as AgentEvent;
    const line = formatLogLine(leaky, 'json');
    expect(line).to.not.match(/hunter2|aHVudGVyMg|Basic|"p"/);
    expect(JSON.parse(line)).to.deep.equal({ time: iso, ...events.failed, request: { headers: { accept: '*/*' } } });
  });

  it('should keep the message of an Error that slipped into an event', () => {
    const event = { ...events.failed, error: new Error('socket hang up') } as unknown as AgentEvent;
    expect(JSON.parse(formatLogLine(event, 'json')).error).to.deep.equal({ name: 'Error', message: 'socket hang up' });
  });

  it('should write a null time rather than throw for a bad timestamp', () => {
    const event = { ...events.seen, at: Number.NaN };
    expect(JSON.parse(formatLogLine(event, 'json')).time).to.equal(null);
    expect(formatLogLine(event, 'human')).to.equal('NaN seen /d/a.png 4.0 KiB');
  });

  it('should reject an unknown format', () => {
    expect(() => formatLogLine(events.seen, 'xml' as never)).to.throw(TypeError, "Expected `format` to be 'human' or 'json', got \"xml\"");
  });
});
