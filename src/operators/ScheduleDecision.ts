import type { ScheduleEvent } from './ScheduleEvent.js';

/**
 * What `prioritize` decides: a file released to the local-reduce branch (`reduce-start`) or an
 * upload job released to the upload branch (`upload-start`). It releases one only when that
 * branch has a free slot.
 */
export type ScheduleDecision = Extract<ScheduleEvent, { readonly type: 'reduce-start' | 'upload-start' }>;
