import { asyncScheduler, defer, finalize, tap, timer, type MonoTypeOperatorFunction, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { AgentStats } from './AgentStats.js';
import { formatNotice } from './formatNotice.js';
import { renderStatusLine } from './renderStatusLine.js';
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
  /**
   * Log lines to print above the block, without line endings. Anything else written to the
   * same terminal lands below the block and is overwritten or pushes the block down, so on a TTY
   * each line erases the block, takes its place, and the block is drawn again beneath it.
   * Elsewhere, and when quiet, each line is written as it comes. Lines are taken while the
   * result is subscribed.
   * @default undefined (no lines)
   */
  lines?: Observable<string>;
  /**
   * `'json'` writes each status as one JSON object, `{"time":…,"type":"status","message":…}`
   * followed by every {@link AgentStats} field, as a plain line even on a TTY (a log shipper
   * reads every line as JSON, so there is no redrawn block).
   * @default 'human'
   */
  format?: 'human' | 'json';
}

const cursorUp = (lines: number): string => `\x1b[${lines}A`;
const clearLine = '\r\x1b[2K';
const clearToEnd = '\r\x1b[0J';

/**
 * Passes stats through unchanged while drawing them on a stream, throttled.
 *
 * On a TTY it redraws a {@link renderStatusBlock} in place (cursor up, clear line) at most once
 * per `intervalMs`; elsewhere (a pipe, a log file, systemd) it writes one plain status line per
 * `intervalMs`. The first snapshot is drawn at once, later ones at the end of each interval if
 * they changed, and the last one is drawn when the source completes or errors, so the screen
 * always ends on the final state. A failing stream never breaks the pipeline. Log lines given
 * as `lines` are printed above the block rather than through it.
 *
 * ```
 * stats:   a-bc--------d-|      intervalMs = 4 frames
 * result:  a-bc--------d-|      (unchanged)
 * drawn:   a---c-------d-|      b is skipped; c is drawn when a's interval ends
 * ```
 *
 * (Run as written by test/docs/diagrams.test.ts, and by "should draw the block on a TTY at once
 * and then at most once per interval, trailing the latest" in test/observe/reportProgress.test.ts.)
 *
 * ```ts
 * declare const events$: Observable<AgentEvent>;
 * events$.pipe(trackStats(), reportProgress({ stream: process.stderr })).subscribe();
 * ```
 *
 * @param options The stream and how often to draw.
 * @returns A pass-through operator.
 */
export function reportProgress(options: ReportProgressOptions): MonoTypeOperatorFunction<AgentStats> {
  const settings = normaliseReportProgressOptions(options);
  const { stream, lines } = settings;
  if (options.quiet === true) {
    return lines === undefined ? (source) => source : (source) => defer(() => passLines(source, lines, (line) => writeSafely(stream, `${line}\n`)));
  }
  return (source) => defer(() => drawThrottled(source, settings));
}

interface ProgressSettings {
  stream: ReportProgressOptions['stream'];
  tty: boolean;
  intervalMs: number;
  scheduler: SchedulerLike;
  color: boolean;
  lines: Observable<string> | undefined;
  format: 'human' | 'json';
}

function normaliseReportProgressOptions(options: ReportProgressOptions): ProgressSettings {
  const stream = options?.stream;
  if (stream === null || typeof stream !== 'object' || typeof stream.write !== 'function') {
    throw new TypeError(`Expected \`stream\` to be a writable stream, got ${String(stream)}`);
  }
  const format = options.format ?? 'human';
  if (format !== 'human' && format !== 'json') {
    throw new TypeError(`Expected \`format\` to be 'human' or 'json', got ${JSON.stringify(format)}`);
  }
  // A JSON log is read by machines: never a block redrawn in place.
  const tty = stream.isTTY === true && format === 'human';
  const intervalMs = options.intervalMs ?? (tty ? 250 : 10_000);
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 0) {
    throw new TypeError(`Expected \`intervalMs\` to be a number >= 0, got ${JSON.stringify(intervalMs)}`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  const color = options.color ?? tty;
  const lines = options.lines;
  if (lines !== undefined && (lines === null || typeof lines.subscribe !== 'function')) {
    throw new TypeError(`Expected \`lines\` to be an Observable, got ${String(lines)}`);
  }
  return { stream, tty, intervalMs, scheduler, color, lines, format };
}

/** Mirrors `source`, drawing the first snapshot at once and then at most one per interval, trailing the latest. */
function drawThrottled(source: Observable<AgentStats>, settings: ProgressSettings): Observable<AgentStats> {
  const { intervalMs, scheduler, lines } = settings;
  const screen = statusScreen(settings);
  let latest: AgentStats | undefined;
  let drawn = true;
  let cooling: Subscription | undefined;

  const draw = (stats: AgentStats): void => {
    drawn = true;
    screen.draw(stats);
  };
  const printLine = (line: string): void => {
    if (screen.printAbove(line, latest)) drawn = true;
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

  const drawing = source.pipe(
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
  return lines === undefined ? drawing : passLines(drawing, lines, printLine);
}

/** What is on the stream: on a TTY, a block redrawn in place, with log lines printed above it. */
interface StatusScreen {
  /** Draws the block on a TTY, replacing the one on screen; elsewhere writes a status line. */
  draw(stats: AgentStats): void;
  /** Prints a log line above the block; true when it drew `latest` again beneath it. */
  printAbove(line: string, latest: AgentStats | undefined): boolean;
}

function statusScreen({ stream, tty, color, format, scheduler }: ProgressSettings): StatusScreen {
  let linesOnScreen = 0;
  const write = (text: string): void => writeSafely(stream, text);
  /** The block's text, replacing the one on screen, which is assumed to end at the cursor. */
  const block = (stats: AgentStats): string => {
    const width = Number.isInteger(stream.columns) && (stream.columns ?? 0) > 0 ? (stream.columns as number) : 80;
    const rows = renderStatusBlock(stats, { width, color });
    // A shorter block still clears the rows the taller one left behind.
    while (rows.length < linesOnScreen) rows.push('');
    const up = linesOnScreen > 0 ? cursorUp(linesOnScreen) : '';
    linesOnScreen = rows.length;
    return `${up}${rows.map((row) => `${clearLine}${row}`).join('\n')}\n`;
  };
  return {
    draw(stats: AgentStats): void {
      write(tty ? block(stats) : `${statusLine(stats, format, scheduler.now())}\n`);
    },
    printAbove(line: string, latest: AgentStats | undefined): boolean {
      if (!tty || linesOnScreen === 0) {
        write(`${line}\n`);
        return false;
      }
      // One write, so the terminal never shows the block missing.
      const erase = `${cursorUp(linesOnScreen)}${clearToEnd}${line}\n`;
      linesOnScreen = 0;
      if (latest === undefined) {
        write(erase);
        return false;
      }
      write(`${erase}${block(latest)}`);
      return true;
    },
  };
}

/** One status line: the plain summary, or in JSON every figure beside it. */
function statusLine(stats: AgentStats, format: 'human' | 'json', now: number): string {
  const message = renderStatusLine(stats);
  return format === 'json' ? formatNotice({ ...stats, type: 'status', message }, 'json', now) : message;
}

/** Mirrors `source`, handing each of `lines` to `print` for as long as it is subscribed. */
function passLines<T>(source: Observable<T>, lines: Observable<string>, print: (line: string) => void): Observable<T> {
  // A failing log feed must not end the uploads, any more than a closed terminal does.
  const subscription = lines.subscribe({ next: print, error: () => undefined });
  return source.pipe(finalize(() => subscription.unsubscribe()));
}

function writeSafely(stream: NodeJS.WritableStream, text: string): void {
  try {
    stream.write(text);
  } catch {
    // The display is a courtesy: a closed terminal must not stop the uploads.
  }
}
