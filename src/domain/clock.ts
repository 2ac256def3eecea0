export interface Clock {
  now(): Date;
}

/** Millisecond precision is what the database stores and the audit hash covers. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can move by hand (overdue obligations, expiring keys). */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | string = '2026-03-02T09:00:00.000Z') {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(at: Date | string): void {
    this.current = new Date(at).getTime();
  }
}

export const DAY_MS = 24 * 60 * 60 * 1000;
