import { expect } from 'chai';
import stringWidth from 'string-width';
import { renderStatusBlock } from '../../src/observe/renderStatusBlock.js';
import { busyStats, idleStats } from './statsFixtures.js';

describe('renderStatusBlock', () => {
  it('should render a busy agent in human units', () => {
    expect(renderStatusBlock(busyStats)).to.deep.equal([
      'uplink 2.0 MB/s  backlog 1.5 KiB  ETA 1m05s',
      'files  12 seen  1 reducing  2 uploading  5 pending  6 uploaded  1 failed',
      'bytes  12.0 MiB seen  5.5 MiB sent  2.0 MiB saved (3 reduced)',
      'errors 3  retries 2',
      'last error  /data/a.png: HTTP 503 Service Unavailable',
    ]);
  });

  it('should show unknown rates and times as ? before the first upload', () => {
    expect(renderStatusBlock({ ...idleStats, backlogBytes: 100, backlogSeconds: undefined })).to.deep.equal([
      'uplink ?  backlog 100 B  ETA ?',
      'files  0 seen  0 reducing  0 uploading  0 pending  0 uploaded  0 failed',
      'bytes  0 B seen  0 B sent  0 B saved (0 reduced)',
      'errors 0  retries 0',
      'last error  none',
    ]);
  });

  it('should show the files waiting for admission only while there are some, within 80 columns', () => {
    expect(renderStatusBlock({ ...busyStats, filesPending: 4096, filesWaiting: 95_904 }).slice(0, 2)).to.deep.equal([
      'uplink 2.0 MB/s  backlog 1.5 KiB  ETA 1m05s  waiting 95904 files',
      'files  12 seen  1 reducing  2 uploading  4096 pending  6 uploaded  1 failed',
    ]);
  });

  it('should use hours for long backlogs and larger units for big numbers', () => {
    const [first] = renderStatusBlock({
      ...idleStats,
      uplinkBytesPerSecond: 1_250,
      backlogBytes: 3 * 1024 ** 3,
      backlogSeconds: 2 * 3600 + 3 * 60 + 29,
    });
    expect(first).to.equal('uplink 1.3 kB/s  backlog 3.0 GiB  ETA 2h03m');
  });

  it('should cut lines wider than width with an ellipsis', () => {
    const lines = renderStatusBlock(busyStats, { width: 20 });
    expect(lines).to.deep.equal([
      'uplink 2.0 MB/s  ba…',
      'files  12 seen  1 r…',
      'bytes  12.0 MiB see…',
      'errors 3  retries 2',
      'last error  /data/a…',
    ]);
  });

  it('should measure wide characters by terminal columns, so no line is wider than width', () => {
    // 40 code points, 55 columns: each kanji and kana takes two.
    const path = '/データ/実験2026年12月/顕微鏡画像_フレーム0001.tif';
    const stats = { ...busyStats, lastError: { at: 0, path, message: 'HTTP 503 サービス停止中' } };
    for (const width of [20, 41, 42, 60, 80]) {
      const lines = renderStatusBlock(stats, { width });
      for (const line of lines) expect(stringWidth(line), `${width}: ${line}`).to.be.at.most(width);
    }
    const [, , , , lastError] = renderStatusBlock(stats, { width: 41 });
    // The label takes 12 columns and `/データ/実験2026年12月/顕微` 27 more (39); 鏡 would end at
    // column 41, past the 40 left before the ellipsis, so it is left out whole rather than split.
    expect(lastError).to.equal('last error  /データ/実験2026年12月/顕微…');
    expect(stringWidth(lastError!)).to.equal(40);
    expect(renderStatusBlock(stats, { width: 42 })[4]).to.equal('last error  /データ/実験2026年12月/顕微鏡…');
  });

  it('should keep a combining mark or an emoji sequence whole and show control characters as ?', () => {
    const stats = { ...busyStats, lastError: { at: 0, path: '/d/cafe\u0301\u{1F468}\u200D\u{1F52C}\x1b[2J.png', message: 'x' } };
    const [, , , , line] = renderStatusBlock(stats, { width: 80 });
    expect(line).to.equal('last error  /d/cafe\u0301\u{1F468}\u200D\u{1F52C}?[2J.png: x');
    // `e` + accent is one column; the man-scientist emoji is one grapheme of two columns.
    expect(stringWidth(line!)).to.equal('last error  /d/cafe'.length + 2 + '?[2J.png: x'.length);
    const cut = renderStatusBlock(stats, { width: 'last error  /d/cafe'.length + 2 })[4]!;
    expect(cut).to.equal('last error  /d/cafe\u0301…');
  });

  it('should colour labels and non-zero error counts only when asked, without counting codes as width', () => {
    const lines = renderStatusBlock(busyStats, { color: true, width: 21 });
    expect(lines[3]).to.equal('\x1b[1merrors\x1b[22m \x1b[31m3\x1b[39m  \x1b[1mretries\x1b[22m 2');
    expect(lines[0]).to.equal('\x1b[1muplink\x1b[22m 2.0 MB/s  \x1b[1mbac\x1b[22m…');
    expect(renderStatusBlock(idleStats, { color: true })[3]).to.equal('\x1b[1merrors\x1b[22m 0  \x1b[1mretries\x1b[22m 0');
  });

  it('should add a ledger line while the ledger cannot write, and drop it once it can', () => {
    const degraded = { ...busyStats, ledgerDegraded: { since: 0, code: 'ENOSPC', error: 'no space left on device', retryInMs: 4000 } };
    const lines = renderStatusBlock(degraded);
    expect(lines).to.have.length(6);
    expect(lines[5]).to.equal('ledger  cannot write (ENOSPC), retrying in 4 s');
    expect(renderStatusBlock(degraded, { color: true })[5]).to.equal('\x1b[1mledger\x1b[22m  \x1b[31mcannot write (ENOSPC), retrying in 4 s\x1b[39m');
    expect(renderStatusBlock({ ...degraded, ledgerDegraded: { ...degraded.ledgerDegraded, retryInMs: 250 } })[5]).to.equal(
      'ledger  cannot write (ENOSPC), retrying in 250 ms',
    );
    expect(renderStatusBlock({ ...degraded, ledgerDegraded: undefined })).to.have.length(5);
  });

  it('should reject a width that is not a positive integer', () => {
    expect(() => renderStatusBlock(busyStats, { width: 0 })).to.throw(TypeError, 'Expected `width` to be an integer >= 1, got 0');
  });
});
