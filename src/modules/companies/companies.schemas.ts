import { z } from 'zod';
import { Country, Name, PageQuery, page, TimestampOut } from '../../http/schemas.js';
import type { CompanyRow } from './companies.table.js';

export const CompanyCreate = z.strictObject({ name: Name(200), country: Country });
export type CompanyCreate = z.infer<typeof CompanyCreate>;

export const CompanyPatch = z
  .strictObject({ name: Name(200).optional(), status: z.enum(['active', 'suspended']).optional() })
  .refine((p) => p.name !== undefined || p.status !== undefined, 'name or status is required');
export type CompanyPatch = z.infer<typeof CompanyPatch>;

export const Company = z
  .object({
    id: z.uuid(),
    name: z.string(),
    country: z.string(),
    status: z.enum(['active', 'suspended']),
    createdAt: TimestampOut,
    updatedAt: TimestampOut,
  })
  .meta({ id: 'Company' });
export type Company = z.infer<typeof Company>;

export const CompanyList = page(Company);
export const CompanyListQuery = z.strictObject({
  ...PageQuery,
  status: z.enum(['active', 'suspended']).optional(),
});

export const companyView = (row: CompanyRow): Company => ({
  id: row.id,
  name: row.name,
  country: row.country,
  status: row.status,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
