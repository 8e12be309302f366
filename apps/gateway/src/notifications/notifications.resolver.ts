import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Inject } from '@nestjs/common';
import {
  deniedAddressProblem,
  ErrorCode,
  parseChannelSpec,
  SluiceError,
  type ChannelSpec,
} from '../../../../libs/domain/src';
import {
  resolveSecret,
  type DeliveryRow,
  type ChannelStore,
  type NotificationStore,
  type StoredChannel,
} from '../../../../libs/notifications/src';
import { RequireRole } from '../auth/roles.decorator';
import type { GatewayConfig } from '../gateway.config';
import { CHANNEL_STORE, GATEWAY_SETTINGS, NOTIFICATION_STORE } from '../gateway.tokens';
import { EndpointPolicy } from '../../../../libs/targets/src/endpoint-policy';
import { NotificationChannelInput, NotificationChannelModel, NotificationDeliveryModel } from './notification.models';

const toModel = ({ spec, managedBy, updatedAt }: StoredChannel): NotificationChannelModel => ({
  name: spec.name,
  kind: spec.kind.toUpperCase(),
  url: spec.url ?? null,
  urlFrom: spec.urlFrom ?? null,
  signingSecretFrom: spec.signingSecretFrom ?? null,
  tokenFrom: spec.tokenFrom ?? null,
  triggers: [...spec.triggers],
  services: spec.services,
  minSeverity: spec.minSeverity.toUpperCase(),
  dashboardUid: spec.dashboardUid ?? null,
  tags: spec.tags,
  enabled: spec.enabled,
  managedBy: managedBy.toUpperCase(),
  updatedAt,
});

const deliveryModel = (d: DeliveryRow): NotificationDeliveryModel => ({
  id: d.id,
  channel: d.channel,
  eventId: d.event_id,
  trigger: d.trigger,
  rolloutId: d.notification.rolloutId,
  summary: d.notification.summary,
  attempts: d.attempts,
  lastError: d.last_error,
  queuedAt: d.queued_at,
  deadAt: d.dead_at,
});

/** Drops GraphQL's nulls and lower-cases enums into the shape of the channels file. */
function toSpecInput(input: NotificationChannelInput): Record<string, unknown> {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined));
  const ref = (r: unknown) => (r ? Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) : undefined);
  return {
    ...defined,
    kind: input.kind.toLowerCase(),
    ...(input.minSeverity ? { minSeverity: input.minSeverity.toLowerCase() } : {}),
    ...(input.urlFrom ? { urlFrom: ref(input.urlFrom) } : {}),
    ...(input.signingSecretFrom ? { signingSecretFrom: ref(input.signingSecretFrom) } : {}),
    ...(input.tokenFrom ? { tokenFrom: ref(input.tokenFrom) } : {}),
  };
}

/**
 * A reference the gateway cannot resolve now would fail every send, and a URL the endpoint
 * lists deny would never be called: both refused up front.
 */
function checkReachable(spec: ChannelSpec, endpoints: EndpointPolicy): void {
  const refs = { urlFrom: spec.urlFrom, signingSecretFrom: spec.signingSecretFrom, tokenFrom: spec.tokenFrom };
  const fields = Object.entries(refs).flatMap(([field, ref]) => {
    if (!ref) return [];
    try {
      resolveSecret(ref);
      return [];
    } catch (err) {
      return [{ field, message: (err as Error).message }];
    }
  });
  const denied = spec.url ? (deniedAddressProblem(spec.url) ?? endpoints.problem(spec.url)) : null;
  if (denied) fields.push({ field: 'url', message: denied });
  if (fields.length > 0)
    throw SluiceError.badInput(
      `Invalid notification channel: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
      fields,
    );
}

@Resolver(() => NotificationChannelModel)
export class NotificationsResolver {
  constructor(
    @Inject(NOTIFICATION_STORE) private readonly store: NotificationStore,
    @Inject(CHANNEL_STORE) private readonly channels: ChannelStore,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewayConfig,
  ) {}

  @Query(() => [NotificationChannelModel], { description: 'Notification channels, by name.' })
  @RequireRole('viewer')
  async notificationChannels(): Promise<NotificationChannelModel[]> {
    return (await this.channels.channels()).map(toModel);
  }

  @Mutation(() => NotificationChannelModel, {
    description:
      'Creates or replaces a notification channel. It hears events recorded from now on. BAD_USER_INPUT names each invalid field (a secret reference the gateway cannot resolve is one); INVALID_STATE for a channel defined in the notifications file.',
  })
  @RequireRole('admin')
  async setNotificationChannel(
    @Args('input', { type: () => NotificationChannelInput }) input: NotificationChannelInput,
  ): Promise<NotificationChannelModel> {
    const spec = parseChannelSpec(toSpecInput(input));
    checkReachable(spec, this.settings.endpointPolicy ?? new EndpointPolicy());
    return toModel((await this.channels.upsert(spec, 'api')).channel);
  }

  @Mutation(() => Boolean, {
    description:
      'Deletes a channel and what it had not delivered yet. NOT_FOUND; INVALID_STATE for a file-defined one.',
  })
  @RequireRole('admin')
  async deleteNotificationChannel(@Args('name') name: string): Promise<boolean> {
    await this.channels.delete(name, 'api');
    return true;
  }

  @Query(() => [NotificationDeliveryModel], {
    description: 'Dead-lettered notifications (attempts spent, or refused by the receiver), newest first.',
  })
  @RequireRole('viewer')
  async deadNotifications(
    @Args('limit', { type: () => Int, defaultValue: 100 }) limit: number,
  ): Promise<NotificationDeliveryModel[]> {
    if (limit < 1 || limit > 1000)
      throw SluiceError.badInput('limit must be 1 to 1000', [{ field: 'limit', message: 'between 1 and 1000' }]);
    return (await this.store.dead(limit)).map(deliveryModel);
  }

  @Mutation(() => Int, {
    description: 'Queues dead-lettered notifications again with fresh attempts: those named, or all. Returns how many.',
  })
  @RequireRole('admin')
  async retryDeadNotifications(
    @Args('ids', { type: () => [ID], nullable: true }) ids: string[] | null | undefined,
  ): Promise<number> {
    if (ids && ids.some((id) => !/^\d+$/.test(id)))
      throw new SluiceError(ErrorCode.BadUserInput, 'ids are delivery ids (digits)', {
        fields: [{ field: 'ids', message: 'digits only' }],
      });
    return this.store.retryDead(ids ?? null);
  }
}
