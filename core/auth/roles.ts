/**
 * Staff roles (Alma's digital roles) and what each may do. Routes declare permissions; one
 * guard (core/plugin/route-guard) checks them, so a role's reach is defined here only.
 */
export const PERMISSIONS = [
  /** Read inventory through the staff API. */
  'inventory:read',
  /** Add and edit titles, representations and files. */
  'inventory:write',
  /** Delete titles, representations and files. */
  'inventory:delete',
  /** Manage collections; needed to put a title or representation into a collection. */
  'collections:manage',
  /** Configure deposit profiles and approve or decline deposits. */
  'deposit:manage',
  /** Submit and edit deposits on behalf of patrons. */
  'deposit:operate',
  /** Also withdraw deposits. */
  'deposit:operate-extended',
  /** Plugins, configuration, API keys, users, jobs. */
  'system:admin',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = {
  'digital-inventory-operator': {
    label: 'Digital Inventory Operator',
    permissions: ['inventory:read', 'inventory:write'],
  },
  'digital-inventory-operator-extended': {
    label: 'Digital Inventory Operator Extended',
    permissions: ['inventory:read', 'inventory:write', 'inventory:delete'],
  },
  'collection-inventory-operator': {
    label: 'Collection Inventory Operator',
    permissions: ['inventory:read', 'collections:manage'],
  },
  'deposit-manager': {
    label: 'Deposit Manager',
    permissions: ['inventory:read', 'deposit:manage', 'deposit:operate', 'deposit:operate-extended'],
  },
  'deposit-operator': {
    label: 'Deposit Operator',
    permissions: ['inventory:read', 'deposit:operate'],
  },
  'deposit-operator-extended': {
    label: 'Deposit Operator Extended',
    permissions: ['inventory:read', 'deposit:operate', 'deposit:operate-extended'],
  },
  'general-system-administrator': {
    label: 'General System Administrator',
    permissions: [...PERMISSIONS],
  },
} as const satisfies Record<string, { label: string; permissions: readonly Permission[] }>;

export type RoleId = keyof typeof ROLES;
export const ROLE_IDS = Object.keys(ROLES) as RoleId[];

export function isRoleId(s: string): s is RoleId {
  return Object.prototype.hasOwnProperty.call(ROLES, s);
}

/** The union of the permissions of some roles (unknown role ids grant nothing). */
export function permissionsOf(roles: readonly string[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const r of roles) if (isRoleId(r)) for (const p of ROLES[r].permissions) out.add(p);
  return out;
}

/** Who is calling: resolved from the Authorization header by core/auth/authenticate. */
export interface Principal {
  kind: 'api-key';
  keyId: string;
  userId: string | null;
  roles: RoleId[];
  permissions: Set<Permission>;
}
