import { readFile, readdir } from 'node:fs/promises';
import { expect } from 'chai';
import { parseRateTrace } from '../../src/bench/parseRateTrace.js';

describe('parseRateTrace', () => {
  it('should read seconds and rates in bytes/s, k, M and multiples, skipping comments and blanks', () => {
    const trace = parseRateTrace('# a trace\n\n0 1500\n1.5 2k  # faster\n3 1.5M\n4 0.5x\n', { nominalBytesPerSec: 8000 });
    expect(trace.steps).to.deep.equal([
      { atMs: 0, bytesPerSec: 1500 },
      { atMs: 1500, bytesPerSec: 2000 },
      { atMs: 3000, bytesPerSec: 1.5e6 },
      { atMs: 4000, bytesPerSec: 4000 },
    ]);
  });

  it('should accept CRLF line ends and exponents', () => {
    expect(parseRateTrace('0 1e6\r\n2 2.5e3\r\n').steps).to.deep.equal([
      { atMs: 0, bytesPerSec: 1e6 },
      { atMs: 2000, bytesPerSec: 2500 },
    ]);
  });

  it('should name the source and the line number of a malformed line', () => {
    const cases: Array<[string, string]> = [
      ['0 1000\n\n2 fast\n', 'flow.txt:3: expected the rate to be bytes/s'],
      ['0 1000\n2\n', 'flow.txt:2: expected "seconds rate"'],
      ['0 1000\n1 2 3\n', 'flow.txt:2: expected "seconds rate"'],
      ['# header\n1 1000\n', 'flow.txt:2: expected the first line to be at 0 seconds'],
      ['0 1000\n3 2000\n3 500\n', 'flow.txt:3: expected the seconds to increase past 3'],
      ['0 1000\n-1 2000\n', 'flow.txt:2: expected the seconds to be a number >= 0'],
      ['0 0\n', 'flow.txt:1: expected the rate to be > 0'],
      ['0 0.5x\n', 'flow.txt:1: a rate in x needs'],
      ['# nothing\n\n', 'flow.txt: no "seconds rate" lines'],
    ];
    for (const [text, message] of cases) {
      expect(() => parseRateTrace(text, { source: 'flow.txt' }), text).to.throw(SyntaxError, message);
    }
  });

  it('should quote the offending line in the message', () => {
    expect(() => parseRateTrace('0 1000\n2 fast\n')).to.throw(SyntaxError, 'trace:2: expected the rate to be bytes/s (a number, optionally with k or M) or a multiple like 0.5x, got "2 fast"');
  });

  it('should read every shipped trace with a mean rate near the nominal one', async () => {
    const folder = new URL('../../bench/traces/', import.meta.url);
    const names = (await readdir(folder)).filter((name) => name.endsWith('.txt'));
    expect(names).to.include.members(['steps.txt', 'ramp.txt', 'dropouts.txt']);
    for (const name of names) {
      const trace = parseRateTrace(await readFile(new URL(name, folder), 'utf8'), { nominalBytesPerSec: 1e6, source: name });
      expect(trace.steps.length, name).to.be.greaterThan(20);
      expect(trace.meanRate(120_000) / 1e6, name).to.be.within(0.9, 1.1);
    }
  });
});
