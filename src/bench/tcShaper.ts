// Shaping the loopback uplink with `tc` (bench/shape-uplink.sh), when the machine allows it.
import { execFile, execFileSync } from 'node:child_process';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const shapeScript = fileURLToPath(new URL('../../bench/shape-uplink.sh', import.meta.url));
const run = promisify(execFile);

async function scriptPresent(): Promise<boolean> {
  return access(shapeScript).then(
    () => true,
    () => false,
  );
}

/**
 * Whether `tc` can shape loopback here: root, the script present, and an htb qdisc that can be
 * added to and removed from `lo`.
 */
export async function tcAvailable(): Promise<boolean> {
  if (process.getuid?.() !== 0 || !(await scriptPresent())) return false;
  return run('sh', [shapeScript, 'check']).then(
    () => true,
    () => false,
  );
}

/**
 * Limits loopback traffic to `port` with tc; returns the function that removes the qdisc. The
 * removal also runs at process exit, so a crash cannot leave lo throttled.
 */
export async function shapeWithTc(port: number, bytesPerSecond: number): Promise<() => Promise<void>> {
  const removeNow = (): void => {
    try {
      execFileSync('sh', [shapeScript, 'del'], { stdio: 'ignore' });
    } catch {
      // Nothing to remove.
    }
  };
  process.once('exit', removeNow);
  try {
    await run('sh', [shapeScript, 'add', String(port), String(Math.round(bytesPerSecond))]);
  } catch (error) {
    removeNow();
    process.removeListener('exit', removeNow);
    throw error;
  }
  return async () => {
    process.removeListener('exit', removeNow);
    await run('sh', [shapeScript, 'del']).catch(() => undefined);
  };
}

/** Switches the rate of the class {@link shapeWithTc} added (`tc class change`), in the middle of a run. */
export async function changeTcRate(bytesPerSecond: number): Promise<void> {
  await run('sh', [shapeScript, 'change', String(Math.max(1, Math.round(bytesPerSecond)))]);
}
