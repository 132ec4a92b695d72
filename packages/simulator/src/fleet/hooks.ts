/**
 * The fleet's mutation hooks: power events (stop, start, reboot), the agent's test hooks
 * (startAgent, stopAgent, installAgent), InstallCloudAssistant's effect, faults and removal. Each
 * schedules changes on the instance's timelines from the simulated now on; the past never changes.
 */
import type { SimulatedClock } from '../clock.js';
import type { Fleet } from './fleet.js';
import type { SimInstance } from './instance.js';
import type { LifecycleDraw } from './populate.js';
import type { FleetRegistry } from './registry.js';
import { checkAgentFault } from './resolve-spec.js';

export type FleetHooks = Pick<
  Fleet,
  | 'removeInstance'
  | 'startAgent'
  | 'stopAgent'
  | 'installAgent'
  | 'stop'
  | 'start'
  | 'reboot'
  | 'markAgentInstalled'
  | 'setAgentFault'
>;

/** The default `durationMs` of `installAgent`. */
const INSTALL_MS = 60_000;

/** `at`, or when the boot in progress at `at` reaches Running; a RangeError if the instance is down then. */
function runningFrom(inst: SimInstance, at: number, what: string): number {
  const from = inst.runningFrom(at);
  if (Number.isNaN(from))
    throw new RangeError(
      `cannot ${what} on ${inst.id}: the instance is ${inst.statusAt(at)} then; start it first with fleet.start(id)`,
    );
  return from;
}

export function createHooks(deps: {
  readonly registry: FleetRegistry;
  readonly clock: SimulatedClock;
  readonly draw: LifecycleDraw;
}): FleetHooks {
  const { registry, clock, draw } = deps;
  return {
    removeInstance(id) {
      registry.remove(id, clock.now());
    },
    startAgent(id, opts = {}) {
      const inst = registry.get(id);
      inst.startAt(runningFrom(inst, clock.now() + (opts.afterMs ?? 0), 'start the agent'));
    },
    stopAgent(id, opts = {}) {
      registry.get(id).stopAt(clock.now() + (opts.afterMs ?? 0));
    },
    installAgent(id, opts = {}) {
      const inst = registry.get(id);
      const now = clock.now();
      const done = now + (opts.durationMs ?? INSTALL_MS);
      const startAt = runningFrom(inst, done, 'install and start the agent');
      // A (re)install stops a running agent now; heartbeats already sent stay in the history.
      inst.stopAt(now);
      inst.installStart = now;
      inst.installDone = done;
      inst.startAt(startAt);
    },
    stop(id, opts = {}) {
      const inst = registry.get(id);
      inst.powerOff(clock.now() + (opts.afterMs ?? 0), draw(inst, 'stoppingMs'));
    },
    start(id, opts = {}) {
      const inst = registry.get(id);
      inst.powerOn(clock.now() + (opts.afterMs ?? 0), draw(inst, 'startingMs'), draw(inst, 'agentStartMs'));
    },
    reboot(id) {
      const inst = registry.get(id);
      const now = clock.now();
      if (inst.statusAt(now) !== 'Running')
        throw new RangeError(
          `cannot reboot ${id}: it is ${inst.statusAt(now)}, and only a Running instance reboots`,
        );
      const stopping = draw(inst, 'stoppingMs');
      inst.powerOff(now, stopping);
      inst.powerOn(now + stopping, draw(inst, 'startingMs'), draw(inst, 'agentStartMs'));
    },
    markAgentInstalled(id) {
      const inst = registry.get(id);
      const now = clock.now();
      if (inst.installStart <= now) return; // installed (or being installed) already
      inst.installAt(now);
    },
    setAgentFault(id, code) {
      registry.get(id).agentFault = code === undefined ? undefined : checkAgentFault(code);
    },
  };
}
