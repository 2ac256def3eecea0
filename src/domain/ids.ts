import { v7 } from 'uuid';

/**
 * New entity ids are UUIDv7: time-ordered and monotonic within a process, so the lists' keyset order
 * `(created_at, id)` is creation order even for rows created in the same millisecond.
 */
export const newId = (): string => v7();
