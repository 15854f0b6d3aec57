import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { LedgerRepair } from '../state/LedgerRepair.js';
import { readLedgerSummary } from '../state/readLedgerSummary.js';
import { describeDamage } from '../state/repairNote.js';
import type { CliIo } from './CliIo.js';
import { createCliLog } from './createCliLog.js';
import { defaultStateDir } from './agentCommandInternals.js';

/** `2 records: journal.jsonl line 3 (…); journal.jsonl line 4 (…)`, at most three places named. */
function whereDamaged(repair: LedgerRepair): string {
  const shown = repair.damage.slice(0, 3).map(describeDamage);
  const more = repair.dropped > shown.length ? `; and ${repair.dropped - shown.length} more` : '';
  return `${repair.dropped} record${repair.dropped === 1 ? '' : 's'}: ${shown.join('; ')}${more}`;
}

/** Adds `haste-agent status`: the ledger's summary, read without starting an agent. */
export function registerStatusCommand(program: Command, io: CliIo): void {
  program
    .command('status')
    .description("print a ledger's summary (counts by state, oldest pending, last error) without starting an agent")
    .argument('[path]', 'the watched folder, to find its default state dir')
    .option('--state-dir <dir>', 'the ledger folder')
    .option('--json', 'print the summary as JSON')
    .action(async (path: string | undefined, flags: { stateDir?: string; json?: boolean }) => {
      const log = createCliLog(io, { format: flags.json === true ? 'json' : 'human', prefix: 'haste-agent status' });
      if (flags.stateDir === undefined && path === undefined) {
        log.fail('give --state-dir DIR or the watched folder');
        return;
      }
      const dir = flags.stateDir !== undefined ? resolve(io.cwd, flags.stateDir) : defaultStateDir(resolve(io.cwd, path!), io.env);
      if ((await stat(dir).catch(() => undefined))?.isDirectory() !== true) {
        log.fail(`no ledger at ${dir}: no agent has run with this state dir`);
        return;
      }
      let summary;
      try {
        summary = await readLedgerSummary(dir);
      } catch (error) {
        log.fail((error as Error).message);
        return;
      }
      if (flags.json) {
        io.stdout.write(`${JSON.stringify({ stateDir: dir, ...summary })}\n`);
        return;
      }
      const counts = Object.entries(summary.counts)
        .map(([state, count]) => `${state} ${count}`)
        .join(', ');
      const lines = [
        `state dir   ${dir}`,
        `agent       ${summary.runningPid === undefined ? 'not running' : `running (pid ${summary.runningPid})`}`,
        `files       ${summary.total} (${counts})`,
        `pending     ${summary.pending}`,
        `oldest      ${summary.oldestPending === undefined ? 'none pending' : `${summary.oldestPending.path} (${summary.oldestPending.state} since ${new Date(summary.oldestPending.createdAt).toISOString()})`}`,
        `last error  ${summary.lastError === undefined ? 'none' : `${new Date(summary.lastError.at).toISOString()} ${summary.lastError.path}: ${summary.lastError.message}`}`,
        `repaired    ${summary.lastRepair === undefined ? 'never' : `${new Date(summary.lastRepair.at).toISOString()} dropped ${whereDamaged(summary.lastRepair)}`}`,
      ];
      if (summary.unreadable !== undefined) {
        lines.push(`damaged     ${whereDamaged(summary.unreadable)} (unreadable now; the agent drops them when it next opens the ledger)`);
      }
      io.stdout.write(`${lines.join('\n')}\n`);
    });
}
