// Every table, for drizzle-kit and for the typed query builder.
export * from '../modules/agreements/agreements.table.js';
export * from '../modules/allocation-rounds/allocation-rounds.table.js';
export * from '../modules/audit/audit.table.js';
export * from '../modules/companies/companies.table.js';
export * from '../modules/depots/depots.table.js';
export * from '../modules/disruptions/disruptions.table.js';
export * from '../modules/draws/draws.table.js';
export * from '../modules/idempotency/idempotency.table.js';
export * from '../modules/lots/lots.table.js';
export * from '../modules/minerals/minerals.table.js';
export * from '../modules/obligations/obligations.table.js';
export * from '../modules/prices/prices.table.js';
