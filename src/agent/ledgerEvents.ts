import { concat, defer, EMPTY, mergeMap, type Observable, of } from 'rxjs';
import type { AgentEvent } from '../observe/AgentEvent.js';
import type { Ledger } from '../state/Ledger.js';
import { describeRepair } from '../state/repairNote.js';

/**
 * What the ledger has to say for itself, as agent events: a `ledger-repaired` warning at once
 * when opening it dropped damaged records, then `ledger-degraded` for every failed write while
 * the state dir cannot be written and `ledger-recovered` when writes land again.
 *
 * While degraded the agent needs no gate of its own: every step awaits its ledger write before
 * the next, so admissions, reductions and uploads pause on their own, and those already in
 * flight finish and wait to be recorded.
 *
 * ```text
 * health:  o--d----d--------o---   o ok, d a failed write (retried)
 * events:  ---D----D--------R---   D ledger-degraded, R ledger-recovered
 * ```
 *
 * @param ledger The open ledger.
 * @param now The agent's clock, for `at`.
 * @returns Events; never completes on its own (it follows the ledger until it is closed).
 */
export function ledgerEvents(ledger: Ledger, now: () => number): Observable<AgentEvent> {
  return defer(() => {
    const path = ledger.dir;
    let degradedSince: number | undefined;
    const repaired: Observable<AgentEvent> =
      ledger.repair === undefined
        ? EMPTY
        : of({ type: 'ledger-repaired', at: now(), path, dropped: ledger.repair.dropped, message: describeRepair(ledger.repair) });
    const weather = ledger.healthChanges.pipe(
      mergeMap((health): AgentEvent[] => {
        const at = now();
        if (health.state === 'degraded') {
          degradedSince ??= at;
          const { code, error, attempt, retryInMs, failedWrites } = health;
          return [{ type: 'ledger-degraded', at, path, code, error, attempt, retryInMs, failedWrites }];
        }
        if (degradedSince === undefined) return [];
        const downMs = at - degradedSince;
        degradedSince = undefined;
        return [{ type: 'ledger-recovered', at, path, downMs, failedWrites: health.failedWrites }];
      }),
    );
    return concat(repaired, weather);
  });
}
