/**
 * A clock for the waiter's `scheduler` seam (its `now` follows the scheduler) on which pauses cost
 * no wall-clock time, so that a test against the simulator runs the same rounds however loaded
 * the machine is.
 *
 * Work scheduled `d` ms ahead runs on the next turn of the event loop, with the clock moved on by
 * `d`: the waiter's pauses (and a rate limit's, if any) take no real time, while its calls still
 * go to the simulator over HTTP and take what they take. So how many rounds a wait runs, and
 * when its schedule plans the final one, depend on the delays alone, not on how fast calls come
 * back. Work scheduled `holdFromMs` or more ahead (the wait's deadline timer) is held until the
 * clock gets there, which the pauses never make it do: the wait ends the way it ends when calls
 * are fast, after the round it planned as its final one, and no round is cut short with calls in
 * flight.
 *
 * Types come from the waiter's options, so the root tests need no rxjs of their own; rxjs only
 * calls `unsubscribe()` on (and reads `closed` of) what `schedule` returns, and `schedule(state,
 * delay)` on the action a piece of work runs as.
 */
import type { WaitForCloudAssistantOptions } from '@cloud-assistant-gate/waiter';

type Scheduler = NonNullable<WaitForCloudAssistantOptions['scheduler']>;

interface Action {
  closed: boolean;
  unsubscribe(): void;
  schedule(state?: unknown, delay?: number): Action;
}

export function pausesOnVirtualClock(holdFromMs: number, start: number = Date.now()): Scheduler {
  let clock = start;
  let held: { readonly due: number; readonly run: () => void }[] = [];
  const release = () => {
    const due = held.filter((h) => h.due <= clock);
    held = held.filter((h) => h.due > clock);
    for (const h of due) h.run();
  };
  const schedule = (work: (this: Action, state?: unknown) => void, delay = 0, state?: unknown): Action => {
    const due = clock + Math.max(0, delay);
    let immediate: NodeJS.Immediate | undefined;
    const action: Action = {
      closed: false,
      unsubscribe() {
        action.closed = true;
        if (immediate !== undefined) clearImmediate(immediate);
        immediate = undefined;
      },
      schedule: (s, d) => schedule(work, d, s),
    };
    const run = () => {
      immediate = setImmediate(() => {
        immediate = undefined;
        if (action.closed) return;
        if (due > clock) clock = due;
        release();
        work.call(action, state);
      });
    };
    if (delay >= holdFromMs) held.push({ due, run });
    else run();
    return action;
  };
  return { now: () => clock, schedule } as unknown as Scheduler;
}
