import { expect } from 'chai';
import { GatewayError } from '../../src/model/GatewayError.js';
import { measuringUplink } from '../../src/agent/runAgentInternals.js';
import { BandwidthMeter } from '../../src/operators/BandwidthMeter.js';
import { fileItem } from '../../src/testing/fileItem.js';
import { uploadEnd } from '../../src/testing/uploadEnd.js';
import { uploadStart } from '../../src/testing/uploadStart.js';

describe('measuringUplink', () => {
  const a = fileItem(0, 1000);
  const b = fileItem(1, 1000);
  const c = fileItem(2, 500);
  const done = (item: typeof a, startedAt: number, finishedAt: number) => ({ item, status: 200, bytes: item.size, startedAt, finishedAt });

  it("should put the link's rate on each uploaded event, not the upload's own", () => {
    const translate = measuringUplink(new BandwidthMeter<string>(5000));
    // Two uploads share the link for 2 s: 2000 bytes in 2 s is 1000 B/s, though each ran at 500 B/s.
    expect(translate(uploadStart(a, 0))).to.deep.equal({ type: 'upload-start', at: 0, path: a.path, bytes: 1000 });
    translate(uploadStart(b, 0));
    const first = translate(uploadEnd(a, 2000, done(a, 0, 2000)));
    const second = translate(uploadEnd(b, 2000, done(b, 0, 2000)));
    expect(first).to.deep.equal({ type: 'uploaded', at: 2000, path: a.path, bytes: 1000, status: 200, durationMs: 2000, bandwidth: 1000 });
    expect(second).to.include({ type: 'uploaded', bandwidth: 1000 });
  });

  it('should count a failed upload as sharing the link without giving it a rate', () => {
    const translate = measuringUplink(new BandwidthMeter<string>(5000));
    translate(uploadStart(a, 0));
    translate(uploadStart(c, 0));
    const failed = translate(uploadEnd(c, 1000, new GatewayError('HTTP 503', { status: 503, path: c.path })));
    expect(failed).to.deep.equal({ type: 'failed', at: 1000, path: c.path, status: 503, error: 'HTTP 503' });
    // a had half the link for 1 s and all of it for 0.5 s: 1000 bytes over 1 s of fair share.
    expect(translate(uploadEnd(a, 1500, done(a, 0, 1500)))).to.include({ bandwidth: 1000 });
  });

  it('should pass other events through as toAgentEvent translates them', () => {
    const translate = measuringUplink(new BandwidthMeter<string>(5000));
    expect(translate({ type: 'reduce-start', item: a, at: 5 })).to.deep.equal({ type: 'reduce-start', at: 5, path: a.path });
  });
});
