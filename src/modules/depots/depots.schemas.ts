import { z } from 'zod';
import { Country, Name, PageQuery, page, TimestampOut } from '../../http/schemas.js';
import type { DepotRow } from './depots.table.js';

export const DepotCreate = z.strictObject({
  code: z.string().regex(/^[A-Z0-9_-]{2,32}$/, 'must match ^[A-Z0-9_-]{2,32}$'),
  name: Name(200),
  country: Country,
});
export type DepotCreate = z.infer<typeof DepotCreate>;

export const Depot = z
  .object({ id: z.uuid(), code: z.string(), name: z.string(), country: z.string(), createdAt: TimestampOut })
  .meta({ id: 'Depot' });
export type Depot = z.infer<typeof Depot>;

export const DepotList = page(Depot);
export const DepotListQuery = z.strictObject({ ...PageQuery });

export const depotView = (row: DepotRow): Depot => ({
  id: row.id,
  code: row.code,
  name: row.name,
  country: row.country,
  createdAt: row.createdAt.toISOString(),
});
