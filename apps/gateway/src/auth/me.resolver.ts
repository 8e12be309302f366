import { Field, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from '../actor.decorator';
import { hasRole, ROLES, type Principal } from './principal';
import { RequireRole } from './roles.decorator';

@ObjectType({ description: 'Who the token belongs to, and what it may do.' })
export class Me {
  @Field()
  name!: string;

  @Field(() => [String], { description: 'The roles the token was given.' })
  roles!: string[];

  @Field(() => [String], {
    description: 'Every role it acts as, the given ones with what they imply (an admin is also an approver, …).',
  })
  effectiveRoles!: string[];
}

@Resolver()
export class MeResolver {
  @Query(() => Me, {
    description: 'The caller: its name and roles (the web board shows them and its actions by them).',
  })
  @RequireRole('viewer')
  me(@CurrentPrincipal() principal: Principal): Me {
    return {
      name: principal.name,
      roles: [...principal.roles],
      effectiveRoles: ROLES.filter((role) => hasRole(principal, role)),
    };
  }
}
