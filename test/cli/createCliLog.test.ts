import { expect } from 'chai';
import { createCliLog } from '../../src/cli/createCliLog.js';
import { fakeCli, isolateExitCode } from './cliHarness.js';

describe('createCliLog', () => {
  isolateExitCode();

  it('should write human notices as their message, with the command name when prefixed', () => {
    const cli = fakeCli();
    const log = createCliLog(cli.io, { format: 'human', prefix: 'haste-agent gateway' });
    log.say({ type: 'metrics', message: 'metrics on http://x/metrics', url: 'http://x/metrics' });
    log.say({ type: 'stopped', message: 'stopped', accepted: 3 }, { prefixed: true });
    log.say({ type: 'received', message: 'stored a' }, { stream: 'stdout' });
    expect(cli.stderr.text).to.equal('metrics on http://x/metrics\nhaste-agent gateway: stopped\n');
    expect(cli.stdout.text).to.equal('stored a\n');
  });

  it('should write one JSON object per line in json form, without the prefix', () => {
    const cli = fakeCli();
    const log = createCliLog(cli.io, { format: 'json', prefix: 'haste-agent', now: () => 0 });
    log.say({ type: 'stopped', message: 'stopped; 1 acknowledged', acknowledged: 1 }, { prefixed: true });
    expect(cli.stderr.text).to.equal('{"time":"1970-01-01T00:00:00.000Z","type":"stopped","message":"stopped; 1 acknowledged","acknowledged":1}\n');
    expect(log.line({ type: 'x', message: 'y' }, true)).to.equal('{"time":"1970-01-01T00:00:00.000Z","type":"x","message":"y"}');
  });

  it('should report a failure on stderr and set the exit code, 2 unless told', () => {
    const cli = fakeCli();
    createCliLog(cli.io, { format: 'human', prefix: 'haste-agent' }).fail('missing --host (or HASTE_HOST); see --help');
    expect(cli.stderr.text).to.equal('haste-agent: missing --host (or HASTE_HOST); see --help\n');
    expect(process.exitCode).to.equal(2);
    const json = fakeCli();
    createCliLog(json.io, { format: 'json', prefix: 'haste-agent', now: () => 0 }).fail('ledger held', 3);
    expect(JSON.parse(json.stderr.text)).to.deep.equal({ time: '1970-01-01T00:00:00.000Z', type: 'error', message: 'ledger held', exitCode: 3 });
    expect(process.exitCode).to.equal(3);
  });
});
