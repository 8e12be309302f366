import { Field, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { CHANNEL_KINDS, NOTIFICATION_TRIGGERS, SEVERITIES } from '../../../../libs/domain/src';

const asEnum = <T extends string>(values: readonly T[]) =>
  Object.fromEntries(values.map((v) => [v, v])) as Record<T, T>;
export const NotificationTriggerValue = asEnum(NOTIFICATION_TRIGGERS);
export const ChannelKindValue = asEnum(
  CHANNEL_KINDS.map((k) => k.toUpperCase() as Uppercase<(typeof CHANNEL_KINDS)[number]>),
);
export const SeverityValue = asEnum(SEVERITIES.map((s) => s.toUpperCase() as Uppercase<(typeof SEVERITIES)[number]>));
registerEnumType(NotificationTriggerValue, {
  name: 'NotificationTrigger',
  description:
    'What a channel hears of: APPROVAL_REQUESTED, HALTED, ROLLED_BACK, ROLLBACK_FAILED (critical: page), SUCCEEDED, PRECHECK_FAILED; REGION_PUSHED and REGION_ROLLED_BACK for dashboard annotations.',
});
registerEnumType(ChannelKindValue, { name: 'NotificationChannelKind' });
registerEnumType(SeverityValue, { name: 'NotificationSeverity' });

@ObjectType('SecretRef', {
  description: 'A secret named, never held: an environment variable or a file of the gateway.',
})
export class SecretRefModel {
  @Field(() => String, { nullable: true })
  env?: string;

  @Field(() => String, { nullable: true })
  file?: string;
}

@InputType({ description: 'Exactly one of env (a gateway environment variable) or file (an absolute path).' })
export class SecretRefInput {
  @Field(() => String, { nullable: true })
  env?: string;

  @Field(() => String, { nullable: true })
  file?: string;
}

@ObjectType('NotificationChannel', { description: 'Where notifications go, and which.' })
export class NotificationChannelModel {
  @Field()
  name!: string;

  @Field(() => ChannelKindValue)
  kind!: string;

  @Field(() => String, { nullable: true, description: 'null when the URL is a secret (urlFrom).' })
  url!: string | null;

  @Field(() => SecretRefModel, { nullable: true })
  urlFrom!: SecretRefModel | null;

  @Field(() => SecretRefModel, { nullable: true, description: 'webhook: the HMAC key of X-Sluice-Signature-256.' })
  signingSecretFrom!: SecretRefModel | null;

  @Field(() => SecretRefModel, { nullable: true, description: 'grafana: the service account token.' })
  tokenFrom!: SecretRefModel | null;

  @Field(() => [NotificationTriggerValue])
  triggers!: string[];

  @Field(() => [String], { description: 'Empty: every service.' })
  services!: string[];

  @Field(() => SeverityValue)
  minSeverity!: string;

  @Field(() => String, { nullable: true })
  dashboardUid!: string | null;

  @Field(() => [String])
  tags!: string[];

  @Field()
  enabled!: boolean;

  @Field({
    description: 'FILE: defined in SLUICE_NOTIFICATIONS_FILE, changed only there. API: by setNotificationChannel.',
  })
  managedBy!: string;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;
}

@InputType({ description: 'A notification channel; secrets only by reference (docs/OPERATIONS.md, "Notifications").' })
export class NotificationChannelInput {
  @Field({ description: 'Lower-case letters, digits and dashes, e.g. team-slack.' })
  name!: string;

  @Field(() => ChannelKindValue)
  kind!: string;

  @Field(() => String, { nullable: true, description: 'Where to send (Grafana: its base URL). Or urlFrom.' })
  url?: string;

  @Field(() => SecretRefInput, { nullable: true, description: 'The URL as a secret (Slack incoming webhooks).' })
  urlFrom?: SecretRefInput;

  @Field(() => SecretRefInput, { nullable: true, description: 'webhook (required): the HMAC-SHA256 key.' })
  signingSecretFrom?: SecretRefInput;

  @Field(() => SecretRefInput, { nullable: true, description: 'grafana (required): a service account token.' })
  tokenFrom?: SecretRefInput;

  @Field(() => [NotificationTriggerValue], {
    nullable: true,
    description: 'Default: the six rollout triggers (webhook, slack) or pushes and rollbacks (grafana).',
  })
  triggers?: string[];

  @Field(() => [String], { nullable: true, description: 'Only these services; default every one.' })
  services?: string[];

  @Field(() => SeverityValue, { nullable: true, description: 'Default INFO: everything its triggers make.' })
  minSeverity?: string;

  @Field(() => String, { nullable: true, description: 'grafana: the dashboard the annotations belong to.' })
  dashboardUid?: string;

  @Field(() => [String], { nullable: true, description: 'grafana: extra tags on every annotation.' })
  tags?: string[];

  @Field(() => Boolean, { nullable: true, description: 'Default true. A disabled channel queues nothing.' })
  enabled?: boolean;
}

@ObjectType('NotificationDelivery', { description: 'One notification for one channel, in the outbox.' })
export class NotificationDeliveryModel {
  @Field(() => ID)
  id!: string;

  @Field()
  channel!: string;

  @Field(() => ID, { description: 'The event it tells of: the CloudEvents id receivers dedupe on.' })
  eventId!: string;

  @Field(() => NotificationTriggerValue)
  trigger!: string;

  @Field()
  rolloutId!: string;

  @Field()
  summary!: string;

  @Field(() => Int)
  attempts!: number;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => GraphQLISODateTime)
  queuedAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  deadAt!: Date | null;
}
