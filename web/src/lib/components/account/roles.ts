import type { Role } from '$lib/gql/graphql';

/** Roles from the most to the least access. */
export const ROLES: Role[] = ['ADMIN', 'EDITOR', 'VIEWER'];
