import type { EcsClient, InstanceStatus, StatusSource } from '@cloud-assistant-gate/core';
import { classifyError } from '../classify.js';
import { isEcsInstance, LOOKUP_BATCH_SIZE, safeToken } from '../instance-check.js';
import { pollRound } from '../poll.js';
import { mergeReadings } from '../readings.js';
import { newCounters } from '../status-call.js';
import { parseInstanceTargets } from '../targets.js';

/** One row of `status`: the instance's status, or none when no region knows the ID. */
export interface StatusReading {
  readonly instanceId: string;
  /** The region that answered for it (or the one it was given with). */
  readonly region?: string | undefined;
  readonly status?: InstanceStatus | undefined;
  /** Its lifecycle `Status` (DescribeInstanceStatus), looked up when the agent is not online. */
  readonly instanceStatus?: string | undefined;
}

interface Options {
  readonly concurrency: number;
  readonly signal?: AbortSignal | undefined;
  /** Counts the readings received so far (for a timeout message). */
  readonly read?: { instances: number };
}

/**
 * Reads the statuses of `ids` in one region with the wait's own round ({@link pollRound}): batches
 * of 100, `concurrency` at a time, each answer kept only for the IDs it asked for (the wait's rule,
 * see `readings.ts`), and a batch that fails with `InvalidInstance.NotFound` narrowed down by the
 * wait's bisection until the unknown IDs are isolated. Unlike a wait, `status` has one round, so
 * its bisection budget is unbounded (the bisection's own bound, about 2 calls per ID, holds) and
 * any failed call fails the read, with that call's error.
 */
const readRegion = async (
  client: EcsClient,
  ids: readonly string[],
  options: Options,
): Promise<Map<string, InstanceStatus>> => {
  const signal = options.signal ?? new AbortController().signal;
  const read = options.read ?? { instances: 0 };
  const found = new Map<string, InstanceStatus>();
  // The round hands on error keys only; the error a person reads is the call's own.
  let failed: { readonly error: unknown } | undefined;
  const source: StatusSource = async (batch, call) => {
    try {
      return await client.statusSource(batch, call);
    } catch (error) {
      if (failed === undefined && classifyError(error) !== 'not-found') failed = { error };
      throw error;
    }
  };
  let errored = false;
  const round = await pollRound(
    ids.map((instanceId) => ({ instanceId })),
    {
      source,
      concurrency: options.concurrency,
      counters: newCounters(),
      now: Date.now,
      maxBisectionCallsPerRound: Number.POSITIVE_INFINITY,
    },
    signal,
    [],
    {
      status: (item, status) => {
        read.instances++;
        found.set(item.instanceId, status);
        return undefined;
      },
      missing: () => undefined, // not found: left out of the map
      error: () => {
        errored = true;
      },
      deferred: () => undefined, // never: the budget is unbounded
    },
  );
  if (signal.aborted) throw signal.reason;
  if (round.failure !== undefined || errored)
    throw failed === undefined ? round.failure?.error : failed.error;
  return found;
};

/**
 * Reads every instance's status once, across the regions of `clients`: an ID given with its
 * region (`cn-beijing:i-…`) is read there; a bare one in the first region, and those it does not
 * know in the next, and so on. With no IDs, lists every instance of every region. Then, unless
 * `lookup` is false, looks up the lifecycle status of the instances whose agent is not online
 * (DescribeInstanceStatus, ≤ 100 per call); a lookup that fails leaves that column empty. Results
 * keep the input order.
 */
export const readStatuses = async (
  clients: readonly EcsClient[],
  entries: readonly string[],
  options: Options & { readonly lookup?: boolean },
): Promise<StatusReading[]> => {
  const signal = options.signal;
  let rows: StatusReading[];
  const read = options.read ?? { instances: 0 };
  if (entries.length === 0) {
    rows = [];
    for (const client of clients) {
      const all = new Map<string, InstanceStatus>();
      // Core stops a listing whose NextToken repeats, runs empty or goes past its page cap.
      for await (const status of client.listCloudAssistantStatus(signal === undefined ? {} : { signal })) {
        read.instances++;
        const before = all.get(status.instanceId);
        all.set(status.instanceId, before === undefined ? status : mergeReadings(before, status));
      }
      for (const status of all.values())
        rows.push({ instanceId: status.instanceId, region: client.region, status });
    }
  } else {
    const targets = parseInstanceTargets(entries);
    const byRegion = new Map(clients.map((c) => [c.region, c]));
    const found = new Map<string, { region: string; status: InstanceStatus }>();
    await Promise.all(
      clients.map(async (client) => {
        const ids = targets.filter((t) => t.region === client.region).map((t) => t.instanceId);
        if (ids.length === 0) return;
        for (const [id, status] of await readRegion(client, ids, { ...options, read })) {
          found.set(id, { region: client.region, status });
        }
      }),
    );
    let bare = targets.filter((t) => t.region === undefined).map((t) => t.instanceId);
    for (const client of clients) {
      if (bare.length === 0) break;
      const statuses = await readRegion(client, bare, { ...options, read });
      for (const [id, status] of statuses) found.set(id, { region: client.region, status });
      bare = bare.filter((id) => !statuses.has(id));
    }
    rows = targets.map((t) => {
      const f = found.get(t.instanceId);
      const region = f?.region ?? (byRegion.has(t.region ?? '') ? t.region : undefined);
      return { instanceId: t.instanceId, region, status: f?.status };
    });
  }
  if (options.lookup === false) return rows;
  return lookUpLifecycle(clients, rows, options);
};

/** Adds `instanceStatus` to the rows whose agent is not online; lookup failures leave it out. */
const lookUpLifecycle = async (
  clients: readonly EcsClient[],
  rows: StatusReading[],
  options: Options,
): Promise<StatusReading[]> => {
  const lifecycle = new Map<string, string>();
  await Promise.all(
    clients.map(async (client) => {
      const ids = rows
        .filter(
          (r) =>
            r.region === client.region &&
            r.status !== undefined &&
            !r.status.cloudAssistantStatus &&
            isEcsInstance(r.instanceId),
        )
        .map((r) => r.instanceId);
      for (let i = 0; i < ids.length; i += LOOKUP_BATCH_SIZE) {
        try {
          const items = await client.instanceStatus(ids.slice(i, i + LOOKUP_BATCH_SIZE), {
            signal: options.signal ?? new AbortController().signal,
          });
          for (const item of items) lifecycle.set(item.instanceId, safeToken(item.status));
        } catch (error) {
          if (options.signal?.aborted) throw error;
          return; // no permission, or the API failing: the column stays empty
        }
      }
    }),
  );
  return rows.map((r) => {
    const s = lifecycle.get(r.instanceId);
    return s === undefined ? r : { ...r, instanceStatus: s };
  });
};
