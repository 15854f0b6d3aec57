import { Subject } from 'rxjs';
import { runAgent, type RunAgentOptions } from '../../src/agent/runAgent.js';
import type { AgentEvent } from '../../src/observe/AgentEvent.js';

/** Runs the agent until `count` files ended (uploaded, failed or skipped), then stops it. */
export function runUntil(options: RunAgentOptions, count: number): Promise<AgentEvent[]> {
  const stop = new Subject<void>();
  let ended = 0;
  const events: AgentEvent[] = [];
  return new Promise<AgentEvent[]>((resolve, reject) => {
    runAgent({ ...options, stop }).subscribe({
      next: (event) => {
        events.push(event);
        if (event.type === 'uploaded' || event.type === 'failed' || event.type === 'skipped') {
          ended += 1;
          if (ended === count) stop.next();
        }
      },
      error: reject,
      complete: () => resolve(events),
    });
  });
}
