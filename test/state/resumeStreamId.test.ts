import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ledger } from '../../src/state/Ledger.js';
import { openLedger } from '../../src/state/openLedger.js';
import { resumeStreamId, STREAM_ID_FILE } from '../../src/state/resumeStreamId.js';

const hash = 'a'.repeat(64);

describe('resumeStreamId', () => {
  let dir: string;
  let ledger: Ledger;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haste-stream-id-'));
    ledger = await openLedger({ dir, fsync: false });
  });

  afterEach(async () => {
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should use and remember the fresh id on a first run', async () => {
    expect(await resumeStreamId({ ledger, fresh: 'run_1' })).to.equal('run_1');
    expect(await readFile(join(dir, STREAM_ID_FILE), 'utf8')).to.equal('run_1\n');
  });

  it('should continue the remembered stream while files are pending', async () => {
    await resumeStreamId({ ledger, fresh: 'run_1' });
    await ledger.record({ path: '/w/a.dat', size: 1, mtimeMs: 1, hash, state: 'uploading' });
    expect(await resumeStreamId({ ledger, fresh: 'run_2' })).to.equal('run_1');
  });

  it('should continue the remembered stream while refused files wait in the archive for this run', async () => {
    await resumeStreamId({ ledger, fresh: 'run_1' });
    await ledger.close();
    ledger = await openLedger({ dir, fsync: false, keepSettled: 0 });
    await ledger.record({ path: '/w/a.dat', size: 1, mtimeMs: 1, hash, state: 'failed', lastError: '413' });
    await ledger.compact();
    expect(ledger.pending()).to.deep.equal([]);
    expect(await resumeStreamId({ ledger, fresh: 'run_2' })).to.equal('run_1');
  });

  it('should start a new stream once nothing is pending', async () => {
    await resumeStreamId({ ledger, fresh: 'run_1' });
    await ledger.record({ path: '/w/a.dat', size: 1, mtimeMs: 1, hash, state: 'acknowledged' });
    expect(await resumeStreamId({ ledger, fresh: 'run_2' })).to.equal('run_2');
    expect(await readFile(join(dir, STREAM_ID_FILE), 'utf8')).to.equal('run_2\n');
  });

  it('should ignore a remembered id that is not a valid stream id', async () => {
    await writeFile(join(dir, STREAM_ID_FILE), '../../etc\n');
    await ledger.record({ path: '/w/a.dat', size: 1, mtimeMs: 1, hash, state: 'seen' });
    expect(await resumeStreamId({ ledger, fresh: 'run_2' })).to.equal('run_2');
  });

  it('should reject a fresh id that is not a stream id', async () => {
    const error = await resumeStreamId({ ledger, fresh: 'a/b' }).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(TypeError).with.property('message', 'Expected `fresh` to be 1-128 letters, digits, _ or -, got "a/b"');
  });
});
