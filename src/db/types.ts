import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.js';

/**
 * The database handle every repository takes first. A transaction is a database too, so repositories
 * never know (or care) whether they run inside one; services decide.
 *
 * LOCK ORDER — every transaction that locks more than one row takes them in this order, which is what
 * keeps the service deadlock-free:
 *   1. the agreement or the company being changed (FOR NO KEY UPDATE: draw inserts' foreign-key checks
 *      take KEY SHARE on them and are not blocked)
 *   2. the mineral row (`minerals` FOR UPDATE) — the serialization point of a mineral's stock, holds,
 *      queue, level and of every company's entitlement for that mineral; several minerals (a
 *      disruption's) in code order; then the disruption row
 *   3. the draw or obligation being changed (FOR UPDATE)
 *   4. lots of that mineral, in id order (FOR UPDATE); each lot change also updates the mineral's
 *      `lot_value_totals` row from a trigger (the same mineral, so no new ordering between minerals)
 *   5. the audit chain head (`audit_head`, UPDATE … RETURNING) — always last, so the one global lock
 *      is held for the shortest possible time
 */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
