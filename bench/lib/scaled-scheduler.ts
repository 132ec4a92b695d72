/**
 * An rxjs-compatible scheduler whose clock is the simulator's fleet clock and whose timers run
 * `speed` times faster than the wall clock, so the waiter's pauses, rate limit and deadline all
 * happen in simulated time while its HTTP calls stay real. The waiter exposes this seam as
 * `options.scheduler` (its `now` defaults to `scheduler.now()`).
 *
 * It implements just what rxjs schedulers promise (`now`, `schedule(work, delay, state)` returning
 * an action that can re-`schedule` itself and `unsubscribe`); rxjs is the waiter's dependency,
 * not the root's, so nothing here imports it.
 */
import type { WaitForCloudAssistantOptions } from '@cloud-assistant-gate/waiter';

export type Scheduler = NonNullable<WaitForCloudAssistantOptions['scheduler']>;

interface Action {
  closed: boolean;
  schedule(state?: unknown, delay?: number): Action;
  unsubscribe(): void;
  add(): void;
  remove(): void;
}

export function scaledScheduler(now: () => number, speed: number): Scheduler {
  if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${speed}`);
  const scheduler = {
    now,
    schedule(work: (this: Action, state?: unknown) => void, delay = 0, state?: unknown): Action {
      let timer: NodeJS.Timeout | undefined;
      const action: Action = {
        closed: false,
        schedule(nextState?: unknown, nextDelay = 0) {
          if (action.closed) return action;
          if (timer !== undefined) clearTimeout(timer);
          timer = setTimeout(() => {
            timer = undefined;
            if (action.closed) return;
            work.call(action, nextState);
            // Not rescheduled by the work: this action is finished.
            if (timer === undefined) action.closed = true;
          }, Math.max(0, nextDelay) / speed);
          return action;
        },
        unsubscribe() {
          action.closed = true;
          if (timer !== undefined) clearTimeout(timer);
          timer = undefined;
        },
        add() {},
        remove() {},
      };
      return action.schedule(state, delay);
    },
  };
  return scheduler as unknown as Scheduler;
}
