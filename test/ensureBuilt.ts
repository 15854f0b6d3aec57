// Shared by the tests that run the built package (the CLI smoke test, the subpath exports).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/** The newest modification time of any .ts file under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ when `builtFile` is missing or older than the sources: npm ci's prepare and
 * npm run build leave dist/ in place, so most runs build nothing.
 */
export function ensureBuilt(builtFile: string): void {
  if (!existsSync(builtFile) || statSync(builtFile).mtimeMs < newestSource(join(repoRoot, 'src'))) {
    spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'ignore' });
  }
}
