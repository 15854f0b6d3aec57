/**
 * The file versions taken lately, to drop the same version found again (by the watcher and a
 * walk, or two walks): a set that forgets its oldest members beyond `capacity`, so memory stays
 * flat in a run that sees millions of files. A version forgotten and found again goes back
 * through admission, where the ledger recognises it.
 */
export class RecentVersions {
  // A Set iterates in insertion order, so its first member is the oldest.
  private readonly members = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Adds `version`; false when it was there already. */
  add(version: string): boolean {
    if (this.members.has(version)) return false;
    this.members.add(version);
    if (this.members.size > this.capacity) {
      for (const oldest of this.members) {
        this.members.delete(oldest);
        break;
      }
    }
    return true;
  }

  delete(version: string): void {
    this.members.delete(version);
  }

  get size(): number {
    return this.members.size;
  }
}
