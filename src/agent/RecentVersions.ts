import { RecentMap } from '../operators/internals/orderedStructures.js';

/** One version of a file: what tells it apart from the same path's other versions. */
export interface FileVersion {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * The file versions taken, to drop the same version found again (by the watcher and a walk, or
 * two walks). A version is held for sure until it is done with (admitted and sent, or dropped),
 * however many others arrive meanwhile: forgetting one that still waits would take it twice.
 * Of the versions done with, only the latest `capacity` are kept, so memory stays flat in a run
 * that sees millions of files; one forgotten and found again goes back through admission, where
 * the ledger recognises it.
 *
 * Keyed by the path string the caller's file item already holds, so a version waiting costs a
 * map slot, not a key of its own: a folder of 100,000 files waits here.
 */
export class RecentVersions {
  /** Taken and not yet done with, never forgotten: the versions of each path (nearly always one). */
  private readonly open = new Map<string, FileVersion | FileVersion[]>();
  /** The latest version of each path done with, the latest `capacity` paths. */
  private readonly done: RecentMap<string, { readonly size: number; readonly mtimeMs: number }>;
  private openCount = 0;

  constructor(capacity: number) {
    this.done = new RecentMap(capacity);
  }

  /** Takes `version`; false when it was taken already (waiting, in flight, or done lately). */
  add(version: FileVersion): boolean {
    const finished = this.done.get(version.path);
    if (finished !== undefined && sameVersion(finished, version)) return false;
    const held = this.open.get(version.path);
    if (held === undefined) {
      this.open.set(version.path, version);
    } else {
      const list = Array.isArray(held) ? held : [held];
      if (list.some((other) => sameVersion(other, version))) return false;
      this.open.set(version.path, [...list, version]);
    }
    this.openCount += 1;
    return true;
  }

  /** `version` is done with: from now on it may be forgotten, oldest first. */
  finish(version: FileVersion): void {
    if (!this.release(version)) return;
    this.done.set(version.path, { size: version.size, mtimeMs: version.mtimeMs });
  }

  /** Forgets `version` at once, so the next time it is found it is taken again. */
  delete(version: FileVersion): void {
    this.release(version);
    const finished = this.done.get(version.path);
    if (finished !== undefined && sameVersion(finished, version)) this.done.delete(version.path);
  }

  /** Versions remembered: those not done with, and the latest done with. */
  get size(): number {
    return this.openCount + this.done.size;
  }

  /** Drops `version` from those not done with; false when it was not there. */
  private release(version: FileVersion): boolean {
    const held = this.open.get(version.path);
    if (held === undefined) return false;
    if (!Array.isArray(held)) {
      if (!sameVersion(held, version)) return false;
      this.open.delete(version.path);
    } else {
      const rest = held.filter((other) => !sameVersion(other, version));
      if (rest.length === held.length) return false;
      if (rest.length === 1) this.open.set(version.path, rest[0]!);
      else this.open.set(version.path, rest);
    }
    this.openCount -= 1;
    return true;
  }
}

function sameVersion(a: { readonly size: number; readonly mtimeMs: number }, b: { readonly size: number; readonly mtimeMs: number }): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs;
}
