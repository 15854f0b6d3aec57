import { asyncScheduler, defer, tap, timer, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { AgentStats } from './AgentStats.js';
import { renderStatusLine } from './observeInternals.js';
import { renderStatusBlock } from './renderStatusBlock.js';

/** Options for {@link reportProgress}. */
export interface ReportProgressOptions {
  /** Where to draw, usually `process.stderr`; `isTTY` and `columns` decide how. */
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /**
   * Least time between two draws, in ms.
   * @default 250 on a TTY (4 redraws a second), 10000 otherwise (one line every 10 s)
   */
  intervalMs?: number;
  /**
   * Clock for the throttle.
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
  /**
   * Draw nothing; stats still pass through.
   * @default false
   */
  quiet?: boolean;
  /**
   * ANSI colours in the TTY block (plain lines never have them).
   * @default stream.isTTY
   */
  color?: boolean;
}

const cursorUp = (lines: number): string => `\x1b[${lines}A`;
const clearLine = '\r\x1b[2K';

/**
 * Passes stats through unchanged while drawing them on a stream, throttled.
 *
 * On a TTY it redraws a {@link renderStatusBlock} in place (cursor up, clear line) at most once
 * per `intervalMs`; elsewhere (a pipe, a log file, systemd) it writes one plain status line per
 * `intervalMs`. The first snapshot is drawn at once, later ones at the end of each interval if
 * they changed, and the last one is drawn when the source completes or errors, so the screen
 * always ends on the final state. A failing stream never breaks the pipeline.
 *
 * ```
 * stats:   a-bc--------d-|      intervalMs = 4 frames
 * result:  a-bc--------d-|      (unchanged)
 * drawn:   a---c-------d-|      b is skipped; c is drawn when a's interval ends
 * ```
 *
 * ```ts
 * events$.pipe(trackStats(), reportProgress({ stream: process.stderr })).subscribe();
 * ```
 *
 * @param options The stream and how often to draw.
 * @returns A pass-through operator.
 */
export function reportProgress(options: ReportProgressOptions): MonoTypeOperatorFunction<AgentStats> {
  const stream = options?.stream;
  if (stream === null || typeof stream !== 'object' || typeof stream.write !== 'function') {
    throw new TypeError(`Expected \`stream\` to be a writable stream, got ${String(stream)}`);
  }
  const tty = stream.isTTY === true;
  const intervalMs = options.intervalMs ?? (tty ? 250 : 10_000);
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 0) {
    throw new TypeError(`Expected \`intervalMs\` to be a number >= 0, got ${JSON.stringify(intervalMs)}`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  const color = options.color ?? tty;
  if (options.quiet === true) {
    return (source) => source;
  }

  return (source) =>
    defer(() => {
      let linesOnScreen = 0;
      let latest: AgentStats | undefined;
      let drawn = true;
      let cooling: Subscription | undefined;

      const write = (text: string): void => {
        try {
          stream.write(text);
        } catch {
          // The display is a courtesy: a closed terminal must not stop the uploads.
        }
      };
      const draw = (stats: AgentStats): void => {
        drawn = true;
        if (!tty) {
          write(`${renderStatusLine(stats)}\n`);
          return;
        }
        const width = Number.isInteger(stream.columns) && (stream.columns ?? 0) > 0 ? (stream.columns as number) : 80;
        const lines = renderStatusBlock(stats, { width, color });
        // A shorter block still clears the rows the taller one left behind.
        while (lines.length < linesOnScreen) lines.push('');
        const up = linesOnScreen > 0 ? cursorUp(linesOnScreen) : '';
        write(`${up}${lines.map((line) => `${clearLine}${line}`).join('\n')}\n`);
        linesOnScreen = lines.length;
      };
      const coolDown = (): void => {
        cooling = timer(intervalMs, scheduler).subscribe(() => {
          cooling = undefined;
          if (!drawn && latest !== undefined) {
            draw(latest);
            coolDown();
          }
        });
      };
      const flush = (): void => {
        cooling?.unsubscribe();
        cooling = undefined;
        if (!drawn && latest !== undefined) draw(latest);
      };

      return source.pipe(
        tap({
          next: (stats) => {
            latest = stats;
            drawn = false;
            if (cooling === undefined) {
              draw(stats);
              coolDown();
            }
          },
          complete: flush,
          error: flush,
          finalize: () => cooling?.unsubscribe(),
        }),
      );
    });
}
