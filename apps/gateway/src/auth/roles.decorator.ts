import { SetMetadata } from '@nestjs/common';
import type { Role } from './principal';

export const ROLE_KEY = 'sluice:role';

/** The role an operation needs. Every resolver method carries one; a method without it is refused. */
export const RequireRole = (role: Role) => SetMetadata(ROLE_KEY, role);
