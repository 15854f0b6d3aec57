import { expect } from 'chai';
import { lastValueFrom, of, throwError } from 'rxjs';
import { reduceLocally } from '../../src/operators/reduceLocally.js';
import { fileItem } from '../../src/testing/fileItem.js';
import { reduction } from '../../src/testing/reduction.js';

describe('reduction', () => {
  const a = fileItem(0, 100);

  it('should build a reduced copy at /spool/f<index> when bytesOut is below the size', () => {
    expect(reduction(a, { bytesOut: 40, cpuMs: 2 })).to.deep.equal({ item: a, reduced: true, outputPath: '/spool/f0', bytesIn: 100, bytesOut: 40, cpuMs: 2 });
    expect(reduction(a, { bytesOut: 40, outputPath: '/tmp/a.gz', mediaType: 'application/gzip', settings: { level: 9 }, outputSha256: 'ab' })).to.deep.equal({
      item: a,
      reduced: true,
      outputPath: '/tmp/a.gz',
      bytesIn: 100,
      bytesOut: 40,
      cpuMs: 0,
      mediaType: 'application/gzip',
      settings: { level: 9 },
      outputSha256: 'ab',
    });
  });

  it('should build an unreduced file, without the keys that do not apply, when bytesOut is not below the size', () => {
    expect(reduction(a)).to.deep.equal({ item: a, reduced: false, bytesIn: 100, bytesOut: 100, cpuMs: 0 });
    expect(reduction(a, { bytesOut: 120, cpuMs: 3, reason: 'would grow' })).to.deep.equal({ item: a, reduced: false, bytesIn: 100, bytesOut: 100, cpuMs: 3, reason: 'would grow' });
  });

  it('should deep-equal what reduceLocally reports for a reducer that fails', async () => {
    const reported = await lastValueFrom(of(a).pipe(reduceLocally({ reduce: () => throwError(() => new Error('cannot decode')) })));
    expect(reported).to.deep.equal(reduction(a, { reason: 'cannot decode' }));
  });
});
