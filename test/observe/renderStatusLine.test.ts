import { expect } from 'chai';
import { renderStatusLine } from '../../src/observe/renderStatusLine.js';
import { busyStats } from './statsFixtures.js';

describe('renderStatusLine', () => {
  it('should name the files waiting for admission only while there are some', () => {
    expect(renderStatusLine(busyStats)).to.equal(
      'seen 12, uploaded 6, pending 5, failed 1, sent 5.5 MiB, saved 2.0 MiB, backlog 1.5 KiB, uplink 2.0 MB/s, ETA 1m05s, errors 3',
    );
    expect(renderStatusLine({ ...busyStats, filesWaiting: 95_904 })).to.equal(
      'seen 12, uploaded 6, pending 5, waiting 95904, failed 1, sent 5.5 MiB, saved 2.0 MiB, backlog 1.5 KiB, uplink 2.0 MB/s, ETA 1m05s, errors 3',
    );
  });
});
