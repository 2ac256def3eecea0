import { pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { instant } from '../../db/columns.js';

export const depots = pgTable('depots', {
  id: uuid('id').primaryKey(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  country: text('country').notNull(),
  createdAt: instant('created_at').notNull(),
});
export type DepotRow = typeof depots.$inferSelect;
