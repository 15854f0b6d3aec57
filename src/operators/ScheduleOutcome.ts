import type { ScheduleEvent } from './ScheduleEvent.js';

/**
 * What a branch reports back to `prioritize` when it is done with a decision: `reduce-end` (or
 * `reduce-error`) from the local-reduce branch, `upload-end` from the upload branch. Each frees
 * the branch's slot, and a `reduce-end` queues the file for upload.
 */
export type ScheduleOutcome = Extract<ScheduleEvent, { readonly type: 'reduce-end' | 'reduce-error' | 'upload-end' }>;
