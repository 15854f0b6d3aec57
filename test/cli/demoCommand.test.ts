import { expect } from 'chai';
import { fakeCli, isolateExitCode } from './cliHarness.js';

describe('registerDemoCommand', () => {
  isolateExitCode();

  it('should send every generated image to its embedded gateway and exit 0', async () => {
    const cli = fakeCli();
    await cli.run('demo', '--count', '4', '--size', '64', '--rate', '20');
    expect(process.exitCode ?? 0).to.equal(0);
    expect(cli.stdout.text).to.match(/^HASTE gateway on http:\/\/127\.0\.0\.1:\d+ \(uplink limited to 1\.00 MB\/s\); generating 4 64x64 images\n/);
    expect(cli.stdout.text).to.match(/\ndone: 4\/4 acknowledged \(4 stored by the gateway\), 0 failed; /);
    expect(cli.stdout.text.split('\n').filter((line) => / HTTP 200$/.test(line))).to.have.length(4);
  });

  it('should reduce images when the uplink is the bottleneck, and send them as they are when it is not', async () => {
    const slow = fakeCli();
    await slow.run('demo', '--count', '6', '--size', '256', '--rate', '20', '--uplink', '100000');
    expect(process.exitCode ?? 0).to.equal(0);
    expect(slow.stdout.text).to.match(/\n {2}frame_\d+\.png {2}reduced [\d.]+ KiB -> [\d.]+ KiB {2}HTTP 200\n/);
    // Two files for the two upload slots: a third waits for a slot, and a 64² reduction (~1 ms
    // since the reducer got faster) can beat that wait, which would be right to take.
    const fast = fakeCli();
    await fast.run('demo', '--count', '2', '--size', '64', '--rate', '20', '--uplink', '0');
    expect(fast.stdout.text).to.include('(no uplink limit)');
    expect(fast.stdout.text).not.to.include(' reduced ');
  });

  it('should exit 2 on a bad --uplink', async () => {
    const cli = fakeCli();
    await cli.run('demo', '--uplink', 'fast');
    expect(process.exitCode).to.equal(2);
    expect(cli.stderr.text).to.equal('haste-agent demo: --uplink must be a number of bytes per second >= 0, got "fast"\n');
  });

  it('should exit 2 on a bad --count before starting anything', async () => {
    const cli = fakeCli();
    await cli.run('demo', '--count', '0');
    expect(process.exitCode).to.equal(2);
    expect(cli.stderr.text).to.equal('haste-agent demo: --count must be an integer >= 1, got "0"\n');
    expect(cli.stdout.text).to.equal('');
  });

  it('should exit 2 on a --mode the demo cannot run', async () => {
    const cli = fakeCli();
    await cli.run('demo', '--mode', 'oracle');
    expect(process.exitCode).to.equal(2);
    expect(cli.stderr.text).to.equal('haste-agent demo: --mode must be none, fifo, splines or adaptive, got "oracle"\n');
  });
});
