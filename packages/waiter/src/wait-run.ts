import { decide, type Verdict } from './decide.js';
import { type EndedWait, failureError, type WaitFailure } from './failure.js';
import { DEFAULT_AGENT_GRACE_MS, InstanceChecks } from './instance-check.js';
import { nextRoundCalls, pollRegions } from './locate.js';
import type { RoundStep } from './loop.js';
import type { ResolvedOptions } from './options.js';
import { type RoundShape, roundProgress, waitReport } from './progress.js';
import type { RegionClient } from './region-clients.js';
import { anyAnswered, type RegionSlot, regionSlots } from './region-state.js';
import { type RemediationDenied, Remediator } from './remediate.js';
import type { ReadinessProgress } from './report.js';
import type { InstanceTarget } from './targets.js';
import { WaitState } from './wait-state.js';

/**
 * One wait (one subscription): its state, its regions, its instance checks and remediation, and
 * the round, which polls every region, asks {@link decide} what follows, and runs the effects
 * the verdict calls for (the instance checks, the end-of-wait lookup) at their fixed points.
 * The timers and the cancel are wired in `wait.ts`.
 */
export class WaitRun {
  readonly #opts: ResolvedOptions;
  readonly #state: WaitState;
  /** One per region, in the order bare IDs are located. */
  readonly #slots: RegionSlot[];
  readonly #regionNames: string[];
  readonly #checks: InstanceChecks;
  readonly #remediator: Remediator | undefined;
  /** Aborted by the deadline and by a cancel. */
  readonly #signal: AbortSignal;
  /** Aborted by a cancel, not by the deadline: the end-of-wait lookup runs past the deadline. */
  readonly #lookupSignal: AbortSignal;
  readonly deadline: number;
  /** Set when the deadline passes (the calls in flight are aborted then): no round follows. */
  deadlineReached = false;
  // What the schedule remembers from one verdict to the next.
  #attempt = 0;
  #finalRound = false;

  constructor(
    targets: readonly InstanceTarget[],
    opts: ResolvedOptions,
    clients: readonly RegionClient[],
    signal: AbortSignal,
    lookupSignal: AbortSignal,
  ) {
    this.#opts = opts;
    this.#signal = signal;
    this.#lookupSignal = lookupSignal;
    const startedAt = opts.now();
    this.deadline = startedAt + opts.timeoutMs;
    this.#state = new WaitState(targets, clients, opts, startedAt);
    this.#slots = regionSlots(clients, opts, this.#state.counters);
    this.#regionNames = clients.flatMap((c) => (c.region === undefined ? [] : [c.region]));
    const remediate = opts.remediate;
    this.#checks = new InstanceChecks({
      regions: clients,
      active: opts.stoppedInstances === 'fail' || remediate !== undefined,
      graceMs: remediate?.afterMs ?? DEFAULT_AGENT_GRACE_MS,
      concurrency: opts.concurrency,
      now: opts.now,
      startedAt,
    });
    this.#remediator =
      remediate === undefined
        ? undefined
        : new Remediator({
            regions: clients,
            reboot: remediate.reboot,
            concurrency: opts.concurrency,
            now: opts.now,
          });
  }

  /** True once the API of any region has answered a call of this wait (see `anyAnswered`). */
  get answered(): boolean {
    return anyAnswered(this.#slots);
  }

  /** The error of a wait that no region's API answered within `firstAnswerTimeoutMs`. */
  unreachableError(): unknown {
    return this.#error({ kind: 'source-unreachable' }, this.#opts.now());
  }

  async runRound(): Promise<RoundStep<ReadinessProgress>> {
    const opts = this.#opts;
    const state = this.#state;
    const polling = state.startRound();
    // Per region (see pollRegions): once its API has answered a batch with NotFound, IDs the last
    // reading said it does not know (and IDs a round had no budget left to locate) are polled in
    // batches of their own, so a missing ID never makes a batch of known IDs fail (and be
    // bisected) round after round; least recently read first, so that when there are more
    // suspects than the round's bisection budget can walk, the budget goes round them. An API that
    // just leaves unknown IDs out of its answer costs nothing extra: they stay packed with the
    // others. Bare IDs of a multi-region wait are located in the same round.
    const result = await pollRegions(this.#slots, polling, this.#signal, state);
    const shape: RoundShape = {
      polled: polling.length,
      suspects: result.suspects,
      batchCalls: result.batchCalls,
    };
    let now = opts.now();
    let verdict = this.#decide(result.failure, now, this.#checks.due(now));
    while (verdict.kind === 'check') {
      const denied = await this.#checkInstances();
      now = opts.now();
      verdict = this.#decide(denied && { kind: 'remediation-denied', ...denied }, now, false);
    }
    switch (verdict.kind) {
      case 'done':
        return { value: this.#progress(now, shape, undefined, true), next: 'done' };
      case 'again':
        this.#attempt = verdict.attempt;
        this.#finalRound = verdict.final;
        return {
          value: this.#progress(now, shape, verdict.delayMs, false),
          next: 'again',
          delayMs: verdict.delayMs,
        };
    }
    const { failure } = verdict;
    if (failure.kind === 'internal') throw failure.error;
    if (failure.kind === 'timeout' || failure.kind === 'quorum-unreachable') {
      await this.#checks.finalLookup(
        state.states,
        state.round,
        this.#lookupSignal,
        opts.scheduler,
        state.extra,
      );
      now = opts.now();
    }
    return {
      value: this.#progress(now, shape, undefined, false),
      next: 'fail',
      error: this.#error(failure, now),
    };
  }

  /** The verdict after this round, from the state at `now`. */
  #decide(failure: WaitFailure | undefined, now: number, checkDue: boolean): Verdict {
    const state = this.#state;
    return decide(
      {
        failure,
        total: state.states.length,
        required: this.#opts.required,
        readyCount: state.readyCount,
        unreachableCount: state.unreachableCount,
        progressed: state.progressed,
        checkDue,
        attempt: this.#attempt,
        finalRound: this.#finalRound,
        deadlineReached: this.deadlineReached,
        now,
        deadline: this.deadline,
        nextRoundCalls: nextRoundCalls(this.#slots, state.active),
      },
      this.#opts,
    );
  }

  /**
   * A lookup of the instances whose agent is not online (DescribeInstanceStatus), then with
   * `stoppedInstances: 'fail'` giving up on the `Stopped` ones, and with `remediate` a
   * remediation pass. Returns a denial that must fail the wait, if any.
   */
  async #checkInstances(): Promise<RemediationDenied | undefined> {
    const state = this.#state;
    const round = state.round;
    const answered = await this.#checks.lookup(
      this.#checks.candidates(state.active, false),
      round,
      this.#signal,
      state.extra,
    );
    if (this.#opts.stoppedInstances === 'fail') {
      for (const s of answered) if (s.lifecycle === 'Stopped' && !s.ready) state.giveUp(s);
    }
    if (this.#remediator === undefined || this.#signal.aborted) return undefined;
    const pass = await this.#remediator.run(state.active, round, this.#signal, state.extra);
    state.remediated.push(...pass.changed);
    return pass.denied;
  }

  #error(failure: WaitFailure, now: number): unknown {
    const { required, timeoutMs, firstAnswerTimeoutMs } = this.#opts;
    const ended: EndedWait = {
      state: this.#state,
      slots: this.#slots,
      required,
      timeoutMs,
      firstAnswerTimeoutMs,
      now,
    };
    return failureError(failure, ended);
  }

  #progress(
    now: number,
    shape: RoundShape,
    nextDelayMs: number | undefined,
    done: boolean,
  ): ReadinessProgress {
    return roundProgress(this.#state, now, {
      required: this.#opts.required,
      shape,
      nextDelayMs,
      finalRoundNext: this.#finalRound,
      report: done
        ? waitReport(this.#state, now, {
            required: this.#opts.required,
            regions: this.#regionNames,
            remediations: this.#remediator?.records ?? [],
          })
        : undefined,
    });
  }
}
