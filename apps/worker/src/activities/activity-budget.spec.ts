import { MockActivityEnvironment } from '@temporalio/testing';
import { Budget } from './activity-budget';

const within = (info: ConstructorParameters<typeof MockActivityEnvironment>[0]) =>
  new MockActivityEnvironment({ scheduleToCloseTimeoutMs: 0, ...info }).run(async () => {
    const now = Date.now();
    return { left: Budget.ofActivity(now).remainingMs(now), budget: Budget.ofActivity() };
  }) as Promise<{ left: number; budget: Budget }>;

describe('an activity’s budget', () => {
  it('is its start-to-close timeout less a margin of 10%, at least 1 s and at most 15 s', async () => {
    expect((await within({ startToCloseTimeoutMs: 120_000 })).left).toBe(108_000);
    expect((await within({ startToCloseTimeoutMs: 5_000 })).left).toBe(4_000);
    expect((await within({ startToCloseTimeoutMs: 600_000 })).left).toBe(585_000);
  });

  it('ends no later than the schedule-to-close timeout allows', async () => {
    const scheduledTimestampMs = Date.now() - 50_000;
    const { left } = await within({
      startToCloseTimeoutMs: 120_000,
      scheduledTimestampMs,
      scheduleToCloseTimeoutMs: 60_000,
    });
    expect(left).toBeGreaterThan(8_000);
    expect(left).toBeLessThanOrEqual(9_000);
  });

  it('gives a piece of work its own deadline, never past the budget', async () => {
    const { budget } = await within({ startToCloseTimeoutMs: 10_000 });
    expect(budget.within(2_000).deadline).toBeLessThanOrEqual(Date.now() + 2_000);
    expect(budget.within(60_000).deadline).toBe(budget.deadline);
  });

  it('heartbeats while work waits, a third of the heartbeat timeout apart', async () => {
    const context = new MockActivityEnvironment({ startToCloseTimeoutMs: 10_000, heartbeatTimeoutMs: 300 });
    const beats: unknown[] = [];
    context.on('heartbeat', (d: unknown) => beats.push(d));
    const answer = await context.run(() =>
      Budget.ofActivity().heartbeating(new Promise((r) => setTimeout(() => r('done'), 550)), () => ({ done: 0 })),
    );
    expect(answer).toBe('done');
    expect(beats.length).toBeGreaterThanOrEqual(5);
    expect(beats[0]).toEqual({ done: 0 });
  });

  it('is a minute outside an activity', () => {
    const now = Date.now();
    expect(Budget.ofActivity(now).remainingMs(now)).toBe(60_000);
  });
});
