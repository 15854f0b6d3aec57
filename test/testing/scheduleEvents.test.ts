import { expect } from 'chai';
import { GatewayError } from '../../src/model/GatewayError.js';
import { fileItem } from '../../src/testing/fileItem.js';
import { reduceEnd } from '../../src/testing/reduceEnd.js';
import { reduceError } from '../../src/testing/reduceError.js';
import { reduceStart } from '../../src/testing/reduceStart.js';
import { reduction } from '../../src/testing/reduction.js';
import { uploadEnd } from '../../src/testing/uploadEnd.js';
import { uploaded } from '../../src/testing/uploaded.js';
import { uploadStart } from '../../src/testing/uploadStart.js';

// That scheduleFiles, prioritize and routeDecisions emit exactly these is what their marble
// tests (test/operators) assert with them.
describe('schedule event builders', () => {
  const a = fileItem(0, 100);

  it('should build reduce-start, reduce-end and reduce-error', () => {
    const copy = reduction(a, { bytesOut: 40, cpuMs: 2 });
    const boom = new Error('worker died');
    expect(reduceStart(a, 3)).to.deep.equal({ type: 'reduce-start', item: a, at: 3 });
    expect(reduceEnd(a, 5, copy)).to.deep.equal({ type: 'reduce-end', item: a, at: 5, reduction: copy });
    expect(reduceError(a, 5, boom)).to.deep.equal({ type: 'reduce-error', item: a, at: 5, error: boom });
  });

  it('should build upload-start with the original as the default job, and upload-end', () => {
    const refused = new GatewayError('503 from gateway', { status: 503, path: a.path, item: a });
    expect(uploadStart(a, 0)).to.deep.equal({ type: 'upload-start', item: a, at: 0, job: { item: a } });
    expect(uploadStart(a, 2, { item: a, bodyPath: '/spool/f0', bodySize: 40 })).to.deep.equal({
      type: 'upload-start',
      item: a,
      at: 2,
      job: { item: a, bodyPath: '/spool/f0', bodySize: 40 },
    });
    expect(uploadEnd(a, 7, uploaded(a))).to.deep.equal({ type: 'upload-end', item: a, at: 7, result: uploaded(a) });
    expect(uploadEnd(a, 7, refused).result).to.equal(refused);
  });
});
