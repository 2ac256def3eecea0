import { numeric, timestamp } from 'drizzle-orm/pg-core';

/**
 * Column shapes shared by every table. Timestamps keep millisecond precision because the audit hash
 * covers `occurredAt` exactly as the API prints it (ISO 8601 with milliseconds); microseconds would be
 * lost on the way to JavaScript and break the chain.
 */
export const instant = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

/** Quantities: at most 3 fractional digits (validated before they reach PostgreSQL, which would round). */
export const quantity = (name: string) => numeric(name, { precision: 20, scale: 3 });

/** Unit prices and unit costs: at most 4 fractional digits. */
export const unitPrice = (name: string) => numeric(name, { precision: 20, scale: 4 });

/** Money amounts: exactly 2 fractional digits. */
export const money = (name: string) => numeric(name, { precision: 22, scale: 2 });
