import { eventIdFor } from './event-id';

describe('event ids', () => {
  it('are the same for the same workflow, run and step', () => {
    expect(eventIdFor('wf', 'run', 3)).toBe(eventIdFor('wf', 'run', 3));
  });

  it('differ when any part differs', () => {
    const ids = new Set([
      eventIdFor('wf', 'run', 3),
      eventIdFor('wf', 'run', 4),
      eventIdFor('wf', 'run2', 3),
      eventIdFor('wf2', 'run', 3),
    ]);
    expect(ids.size).toBe(4);
  });

  it('are RFC 4122 version 5 uuids', () => {
    expect(eventIdFor('wf', 'run', 1)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
