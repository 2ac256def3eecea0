export const ROLES = ['company', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Who is acting, as proven by the bearer token. `companyId` is set exactly when `role` is `company`. */
export interface Actor {
  sub: string;
  role: Role;
  companyId: string | null;
}

/** The context every use case receives: who acts and which request it is (recorded in audit events). */
export interface Ctx {
  actor: Actor;
  requestId: string;
}

/** The actor used by start-up tasks (demo data) that act on behalf of the operator. */
export const SYSTEM_ACTOR: Actor = { sub: 'system:seed', role: 'admin', companyId: null };

/**
 * The company whose records a list may show: a company token always sees its own records only,
 * whatever `companyId` filter it sends (another company's → nothing, `null`); other roles see what
 * they ask for (`undefined` = every company).
 */
export function companyScope(actor: Actor, requested: string | undefined): string | undefined | null {
  if (actor.role !== 'company') return requested;
  if (requested !== undefined && requested !== actor.companyId) return null;
  return actor.companyId ?? null;
}
