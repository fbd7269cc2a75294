// The ops roles, least to most (docs/security.md "Ops roles"), and the rule between them. Plain data
// with no zod, so the console's browser bundle can read the same rule the gateway enforces;
// contracts/identity.ts re-exports it with the OpsRole schema.

export const OPS_ROLES = ['viewer', 'operator', 'admin'] as const;

/** Does a credential with role `held` satisfy a route that needs `needed`? */
export const roleAllows = (held: (typeof OPS_ROLES)[number], needed: (typeof OPS_ROLES)[number]): boolean => OPS_ROLES.indexOf(held) >= OPS_ROLES.indexOf(needed);
