import { describe, expect, it } from 'vitest';
import type { PendingReason } from '../src/errors.js';
import { lifecycleReason } from '../src/instance-check.js';

describe('lifecycleReason', () => {
  it.each<[string | undefined, PendingReason | undefined, boolean, boolean, PendingReason | undefined]>([
    // lifecycle, the agent's reason, proof, heartbeat seen → reason
    ['Stopped', 'agent-offline', false, true, 'instance-stopped'],
    ['Stopped', 'not-installed', false, false, 'instance-stopped'],
    ['Stopping', 'agent-offline', false, true, 'instance-stopping'],
    ['Starting', 'no-heartbeat-yet', false, false, 'instance-starting'],
    ['Pending', 'not-installed', false, false, 'instance-starting'],
    ['Expired', 'agent-offline', false, false, 'instance-not-running'],
    ['Running', 'not-installed', true, false, 'not-installed'],
    ['Running', 'not-installed', false, false, 'no-heartbeat-yet'],
    ['Running', 'no-heartbeat-yet', true, false, 'not-installed'],
    ['Running', 'not-installed', true, true, 'agent-offline'],
    ['Running', 'agent-offline', true, true, undefined],
    ['Running', 'readiness-unmet: session manager not supported', false, false, undefined],
    ['Running', 'errors: ServiceUnavailable', false, false, undefined],
    [undefined, 'not-installed', true, false, undefined],
  ])('%s with %s (proof %s, heartbeat %s) → %s', (lifecycle, base, agentMissing, heartbeatSeen, reason) => {
    expect(lifecycleReason({ lifecycle, base, agentMissing, heartbeatSeen })).toBe(reason);
  });
});
