import { painter } from './output';
import { renderTree, type ServedEvent } from './rollout-tree';
import { diffValues, formatChange } from './service-diff';
import { resolveContext } from './contexts';
import { parseStrategy } from './rollout-commands';

const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 12, 0, s)).toISOString();
let position = 0;
const event = (type: string, data: Record<string, unknown>, s: number): ServedEvent => ({
  type,
  data,
  recordedAt: at(s),
  position: ++position,
});

const plan = {
  waves: [
    { index: 1, regions: ['c1'], bakeSeconds: 60, requiresApproval: true },
    { index: 2, regions: ['w1', 'w2'], bakeSeconds: 60, requiresApproval: false },
  ],
};
const base = [
  event(
    'RolloutRequested',
    {
      rolloutId: 'r1',
      service: 'app',
      version: 'v2',
      requestedBy: 'alice',
      requestedAt: at(0),
      regions: ['c1', 'w1', 'w2'],
    },
    0,
  ),
  event('RolloutPlanned', { plan, source: 'strategy' }, 1),
  event('PrecheckPassed', { checks: [] }, 2),
  event('WaveStarted', { wave: 1, regions: ['c1'] }, 3),
  event('RegionConfigPushed', { wave: 1, region: 'c1', version: 'v2' }, 4),
  event('RegionConfigVerified', { wave: 1, region: 'c1' }, 5),
];
const plain = painter(false);

describe('the rollout tree', () => {
  it('shows the wave baking with its countdown, region states and gate values', () => {
    const events = [
      ...base,
      event(
        'HealthGateEvaluated',
        { wave: 1, gate: 'errors', region: 'c1', verdict: 'PASS', value: 0.01234567, detail: '' },
        10,
      ),
    ];
    const tree = renderTree(events, Date.parse(at(35)), plain);
    expect(tree).toContain('app → v2  ROLLING (BAKING)  rollout r1');
    expect(tree).toMatch(/▶ wave 1 {2}baking \[#{10}\.{10}\] 30s left, needs approval/);
    expect(tree).toMatch(/● c1 +VERIFIED\n {8}gate errors: PASS 0\.0123/);
    expect(tree).toMatch(/ {2}wave 2 {2}bake 60s\n {4}○ w1 +PENDING/);
  });

  it('names the approver and the stop reason, and no wave is current once it ended', () => {
    const events = [
      ...base,
      event('ApprovalRequested', { wave: 1 }, 66),
      event('ApprovalGranted', { wave: 1, approver: 'bob' }, 70),
      event('RolloutHalted', { by: 'alertmanager', source: 'alertmanager', reason: 'ErrorRate firing in c1' }, 80),
      event('RollbackStarted', { reason: 'ErrorRate firing in c1', regions: ['c1'], attempt: 1 }, 81),
      event(
        'RegionRolledBack',
        { region: 'c1', fromVersion: 'v2', toVersion: 'v1', configHash: 'h', outcome: 'RESTORED' },
        82,
      ),
      event('RolloutRolledBack', { regions: ['c1'], reason: 'ErrorRate firing in c1' }, 83),
    ];
    const tree = renderTree(events, Date.parse(at(90)), plain);
    expect(tree).toContain('approved by bob');
    expect(tree).toContain('app → v2  ROLLED_BACK');
    expect(tree).toMatch(/↺ c1 +ROLLED_BACK/);
    expect(tree).toContain('stopped: halted by alertmanager: ErrorRate firing in c1');
    expect(tree).not.toContain('▶');
  });
});

describe('diff of a service', () => {
  it('compares named lists by name, so an edit is one line and reordering is nothing', () => {
    const before = {
      regions: [
        { name: 'a', weight: 1 },
        { name: 'b', weight: 2 },
      ],
    };
    expect(
      diffValues(before, {
        regions: [
          { name: 'b', weight: 2 },
          { name: 'a', weight: 1 },
        ],
      }),
    ).toEqual([]);
    expect(
      diffValues(before, {
        regions: [
          { name: 'a', weight: 3 },
          { name: 'c', weight: 1 },
        ],
      }).map(formatChange),
    ).toEqual([
      '~ regions[a].weight: 1 → 3',
      '- regions[b]: {"name":"b","weight":2}',
      '+ regions[c]: {"name":"c","weight":1}',
    ]);
  });
});

describe('contexts and flags', () => {
  it('SLUICE_SERVER and SLUICE_TOKEN stand in for a stored context', () => {
    expect(
      resolveContext(
        {},
        { SLUICE_CONFIG: '/nonexistent/config.yaml', SLUICE_SERVER: 'http://h:4000/', SLUICE_TOKEN: 't' },
      ),
    ).toEqual({
      server: 'http://h:4000',
      token: 't',
      name: 'env',
    });
    expect(() => resolveContext({}, { SLUICE_CONFIG: '/nonexistent/config.yaml' })).toThrow('no gateway to talk to');
  });

  it('--strategy reads numbers and booleans', () => {
    expect(parseStrategy('bakeSeconds=60,approvalAfterCanary=false')).toEqual({
      bakeSeconds: 60,
      approvalAfterCanary: false,
    });
    expect(() => parseStrategy('bakeSeconds')).toThrow('use key=value');
  });
});
