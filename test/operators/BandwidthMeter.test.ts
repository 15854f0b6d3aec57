import { expect } from 'chai';
import { BandwidthMeter, LOADED_AFTER_MS, MAX_WINDOW_SAMPLES } from '../../src/operators/BandwidthMeter.js';

describe('BandwidthMeter', () => {
  it('should give each of three overlapping uploads its fair share of a constant-rate link', () => {
    // 1000 B/s shared by a (300 B), b (600 B), c (900 B) all started at 0: a ends at 900 ms
    // (333 B/s each), b at 1500 ms (then 500 B/s each), c at 1800 ms (alone).
    const meter = new BandwidthMeter<string>(5000);
    for (const key of ['a', 'b', 'c']) meter.start(key, 0);
    expect(meter.finish('a', { startedAt: 0, finishedAt: 900, bytes: 300 }, 900)).to.be.closeTo(1000, 1e-9);
    expect(meter.finish('b', { startedAt: 0, finishedAt: 1500, bytes: 600 }, 1500)).to.be.closeTo(1000, 1e-9);
    expect(meter.finish('c', { startedAt: 0, finishedAt: 1800, bytes: 900 }, 1800)).to.be.closeTo(1000, 1e-9);
  });

  it('should keep counting an upload in flight that started before the window', () => {
    // A long upload runs beside 1 s uploads on a 1000 B/s link, so each short one gets 500 B.
    const meter = new BandwidthMeter<number>(1000);
    meter.start(-1, 0);
    for (let i = 0; i < 10; i++) {
      meter.start(i, i * 1000);
      const rate = meter.finish(i, { startedAt: i * 1000, finishedAt: (i + 1) * 1000, bytes: 500 }, (i + 1) * 1000);
      expect(rate).to.be.closeTo(1000, 1e-9);
    }
  });

  it('should count a failed upload as sharing the link until it failed, but not as a sample', () => {
    const meter = new BandwidthMeter<string>(5000);
    meter.start('ok', 0);
    meter.start('failed', 0);
    meter.fail('failed', 500);
    // 0-500 ms at half the link (250 B), then alone (500 B): 750 B over a 750 ms share.
    expect(meter.finish('ok', { startedAt: 0, finishedAt: 1000, bytes: 750 }, 1000)).to.be.closeTo(1000, 1e-9);
  });

  it('should hold only what can still count however many uploads fail, with or without a success before', () => {
    for (const succeededFirst of [false, true]) {
      const meter = new BandwidthMeter<number>(5000);
      if (succeededFirst) {
        meter.start(-1, 0);
        meter.finish(-1, { startedAt: 0, finishedAt: 100, bytes: 100 }, 100);
      }
      // Two at a time, every one refused, and no estimate asked for (nothing succeeds).
      for (let i = 0; i < 10_000; i += 2) {
        meter.start(i, 100 + i);
        meter.start(i + 1, 100 + i);
        meter.fail(i, 101 + i);
        meter.fail(i + 1, 101 + i);
      }
      // The successful one, if any, and fewer than the failures let pile up before a prune.
      expect(meter.size).to.be.at.most(64 + 2 + (succeededFirst ? 1 : 0));
      expect(meter.rate(100 + 10_000)).to.equal(succeededFirst ? 1000 : undefined);
    }
  });

  it('should still count a failure that overlaps an upload in flight', () => {
    const meter = new BandwidthMeter<string>(5000);
    meter.start('ok', 0);
    for (let i = 0; i < 100; i++) {
      meter.start(`f${i}`, 0);
      meter.fail(`f${i}`, 500);
    }
    // They shared 0-500 ms with it (1/101 of the link each), then it ran alone: on a 1000 B/s
    // link it sent 500/101 + 500 bytes. Forgotten, they would put it at 505 B/s.
    expect(meter.size).to.equal(101);
    expect(meter.finish('ok', { startedAt: 0, finishedAt: 1000, bytes: 500 / 101 + 500 }, 1000)).to.be.closeTo(1000, 1e-9);
  });

  it('should ignore failing an upload it never heard start', () => {
    const meter = new BandwidthMeter<string>(5000);
    meter.fail('unknown', 100);
    expect(meter.rate(100)).to.equal(undefined);
    expect(meter.add({ startedAt: 0, finishedAt: 1000, bytes: 1000 }, 1000)).to.equal(1000);
  });

  it('should skip idle time between uploads', () => {
    const meter = new BandwidthMeter<string>(10_000);
    meter.start('a', 0);
    meter.finish('a', { startedAt: 0, finishedAt: 1000, bytes: 1000 }, 1000);
    meter.start('b', 5000);
    expect(meter.finish('b', { startedAt: 5000, finishedAt: 6000, bytes: 1000 }, 6000)).to.equal(1000);
  });

  it('should anchor the window at a finish for results without starts', () => {
    // Two uploads always in flight on a 1000 B/s link, staggered by half an upload: from the
    // second on, each runs 1000 ms and sends 500 B. Busy time over the union of the kept spans
    // would reach back 500 ms over an upload already dropped; the anchored window does not.
    const meter = new BandwidthMeter(2000);
    let rate: number | undefined;
    for (let i = 1; i < 12; i++) rate = meter.add({ startedAt: i * 500 - 500, finishedAt: i * 500 + 500, bytes: 500 }, i * 500 + 500);
    expect(rate).to.be.closeTo(1000, 1e-9);
  });

  it('should use the anchored estimate when any upload in the window arrived without a start', () => {
    const meter = new BandwidthMeter<string>(5000);
    meter.start('a', 0);
    meter.start('b', 0);
    meter.finish('a', { startedAt: 0, finishedAt: 1000, bytes: 500 }, 1000);
    // 'c' is not 'b': a result whose start the meter never heard of.
    expect(meter.finish('c', { startedAt: 0, finishedAt: 3000, bytes: 2500 }, 3000)).to.equal(1250);
  });

  it('should ignore intervals that are not finite or end before they start', () => {
    const meter = new BandwidthMeter(5000);
    expect(meter.add({ startedAt: Number.NaN, finishedAt: 1000, bytes: 10 }, 1000)).to.equal(undefined);
    expect(meter.add({ startedAt: 1000, finishedAt: 500, bytes: 10 }, 1000)).to.equal(undefined);
    expect(meter.add({ startedAt: 0, finishedAt: 1000, bytes: 10 }, 1000)).to.equal(10);
  });

  it('should estimate from the latest MAX_WINDOW_SAMPLES uploads when the window holds more', () => {
    // One slot, 1000 B uploads back to back: 1,000 at 1 MB/s, then 300 at 1.2 MB/s, all within
    // the 5 s window. 1.2x is below the step rule's 1.3x, so only the cap keeps the older ones
    // out: over the whole window the estimate would be about 1.05 MB/s.
    const meter = new BandwidthMeter<number>(5000);
    let at = 0;
    let rate: number | undefined;
    for (let i = 0; i < 1300; i += 1) {
      const took = i < 1000 ? 1 : 1 / 1.2;
      meter.start(i, at);
      rate = meter.finish(i, { startedAt: at, finishedAt: at + took, bytes: 1000 }, at + took);
      at += took;
    }
    expect(MAX_WINDOW_SAMPLES).to.be.below(300);
    expect(rate).to.be.closeTo(1_200_000, 1);
  });
  /** Five 1000 B uploads back to back on a 1000 B/s link, 0-5000 ms: the last four start loaded. */
  function backlog(meter: BandwidthMeter<string>): number | undefined {
    let rate: number | undefined;
    for (let i = 0; i < 5; i++) {
      meter.start(`b${i}`, i * 1000);
      rate = meter.finish(`b${i}`, { startedAt: i * 1000, finishedAt: (i + 1) * 1000, bytes: 1000 }, (i + 1) * 1000);
    }
    return rate;
  }

  it('should not take the burst a rested link lets through for a faster link', () => {
    // A token-bucket link: 1000 B/s, but after an idle moment it lets its saved-up credit
    // through at once, so 200 B on a rested link take 2 ms (100 kB/s). Two such in a row would
    // restart the window at 100 kB/s; the loaded uploads say what the link keeps up.
    const meter = new BandwidthMeter<string>(5000);
    expect(backlog(meter)).to.equal(1000);
    meter.start('x1', 6000);
    expect(meter.finish('x1', { startedAt: 6000, finishedAt: 6002, bytes: 200 }, 6002)).to.equal(1000);
    meter.start('x2', 7000);
    expect(meter.finish('x2', { startedAt: 7000, finishedAt: 7002, bytes: 200 }, 7002)).to.equal(1000);
  });

  it('should count an upload as loaded only once the link has been busy LOADED_AFTER_MS', () => {
    // Two uploads on a rested link, the second started 1 ms into the first: both rested (a
    // burst carries both). A third starts back to back with the second's end, well into the
    // stretch. Rested, they ran at 20 kB/s; loaded, the third at 1000 B/s: with one loaded
    // upload the estimate still counts all three; a fourth loaded one leaves the rested out.
    const meter = new BandwidthMeter<string>(5000);
    meter.start('r1', 0);
    meter.start('r2', 1);
    meter.finish('r1', { startedAt: 0, finishedAt: 10, bytes: 100 }, 10);
    meter.finish('r2', { startedAt: 1, finishedAt: 11, bytes: 100 }, 11);
    expect(11).to.be.at.least(LOADED_AFTER_MS);
    meter.start('l1', 11);
    // 200 B over 11 ms of shares, and 1000 B over 1000 ms.
    expect(meter.finish('l1', { startedAt: 11, finishedAt: 1011, bytes: 1000 }, 1011)).to.be.closeTo((1200 * 1000) / 1011, 1e-9);
    meter.start('l2', 1011);
    expect(meter.finish('l2', { startedAt: 1011, finishedAt: 2011, bytes: 1000 }, 2011)).to.equal(1000);
  });

  it('should still follow the link down on uploads that started rested', () => {
    // After the backlog the link falls to 250 B/s; the uploads come one at a time, each on a
    // rested link. Two of them both more than 1.3x below restart the window at the first.
    const meter = new BandwidthMeter<string>(5000);
    backlog(meter);
    meter.start('y1', 6000);
    expect(meter.finish('y1', { startedAt: 6000, finishedAt: 7000, bytes: 250 }, 7000)).to.equal(1000);
    meter.start('y2', 8000);
    expect(meter.finish('y2', { startedAt: 8000, finishedAt: 9000, bytes: 250 }, 9000)).to.equal(250);
  });
});
