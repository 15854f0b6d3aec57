// Child process for the SIGKILL test: records files in a loop and prints one JSON line per
// write whose promise resolved, until it is killed.
import { openLedger } from '../../src/state/openLedger.js';
import { fileKey } from './ledgerTestKit.js';

const dir = process.argv[2]!;
const ledger = await openLedger({ dir, compactAfter: 25 });
process.stdout.write('ready\n');
for (let i = 0; ; i += 1) {
  const key = fileKey(`f${i}.tif`);
  await ledger.record(key);
  process.stdout.write(`${JSON.stringify({ path: key.path, state: 'seen' })}\n`);
  // Writes issued back to back share one fsync, as in the agent.
  const uploading = ledger.transition(key, 'uploading');
  const previous = i > 0 ? ledger.transition(fileKey(`f${i - 1}.tif`), 'acknowledged') : undefined;
  await uploading;
  process.stdout.write(`${JSON.stringify({ path: key.path, state: 'uploading' })}\n`);
  if (previous !== undefined) {
    await previous;
    process.stdout.write(`${JSON.stringify({ path: fileKey(`f${i - 1}.tif`).path, state: 'acknowledged' })}\n`);
  }
}
