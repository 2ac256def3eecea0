import { sql } from 'drizzle-orm';
import { afterCursorPlaceholders, type CreationCursor, cursorValues } from '../../db/pagination.js';
import { preparedStatement, preparedStatementFamily, rowOf, runPrepared } from '../../db/prepared.js';
import type { Db } from '../../db/types.js';
import { type DisruptionLevel, disruptionMinerals, disruptions } from '../disruptions/disruptions.table.js';
import { type MineralRow, minerals } from '../minerals/minerals.table.js';

/** A mineral's row with the level of the active disruption covering it (at most one, by a unique index). */
export type StockRow = MineralRow & { disruptionLevel: DisruptionLevel | null };

// An inventory read is one statement, rendered once (src/db/prepared.ts): the positions are kept on
// the mineral rows, and the disruption level comes with them instead of from a second query.
const mineralRow = rowOf(minerals);
const positions = sql`select ${mineralRow.columns}, ${disruptions.level} from ${minerals}
  left join ${disruptionMinerals}
    on ${disruptionMinerals.mineralCode} = ${minerals.code} and ${disruptionMinerals.active}
  left join ${disruptions} on ${disruptions.id} = ${disruptionMinerals.disruptionId}`;

const decode = (values: unknown[]): StockRow =>
  Object.assign(mineralRow.decode(values), {
    disruptionLevel: values[mineralRow.width] as DisruptionLevel | null,
  });

const findStockStatement = preparedStatement<{ code: string }>(
  'find_stock',
  sql`${positions} where ${minerals.code} = ${sql.placeholder('code')}`,
);

export async function findStock(db: Db, code: string): Promise<StockRow | undefined> {
  const [values] = await runPrepared(db, findStockStatement, { code });
  return values && decode(values);
}

const listStockStatement = preparedStatementFamily<'after', Record<string, unknown>>(
  'list_stock',
  (present) =>
    sql`${positions}
        ${present.has('after') ? sql`where ${afterCursorPlaceholders(minerals.createdAt, minerals.code)}` : sql``}
        order by ${minerals.createdAt}, ${minerals.code} limit ${sql.placeholder('limit')}`,
);

/** A page of stock positions in creation order; `limit + 1` rows (see `toPage`). */
export async function listStock(
  db: Db,
  cursor: CreationCursor | undefined,
  limit: number,
): Promise<StockRow[]> {
  const after = cursorValues(minerals.code, cursor);
  const rows = await runPrepared(db, listStockStatement(after ? ['after'] : []), {
    ...after,
    limit: limit + 1,
  });
  return rows.map(decode);
}
