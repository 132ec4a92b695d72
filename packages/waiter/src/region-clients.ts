import {
  type AgentInstaller,
  type BudgetClock,
  type Credentials,
  type CredentialsProvider,
  createEcsClient,
  defaultCredentialsProvider,
  type EcsClientOptions,
  type InstanceRebooter,
  type InstanceStatusLookup,
  isRateLimitedSource,
  rateLimitedSource,
  type StatusSource,
} from '@cloud-assistant-gate/core';
import { checkObject, describeValue, OptionTypeError, wrongType } from '@cloud-assistant-gate/core/options';
import type { SchedulerLike, Subscription } from 'rxjs';

/**
 * What a wait may do in one region, all injected: the status source it polls, and the optional
 * capabilities a core client also provides (a custom source may supply or omit each):
 * `instanceStatus` (DescribeInstanceStatus, for precise reasons), `installAgent` and `reboot`
 * (InstallCloudAssistant and RebootInstances, only for opt-in remediation).
 */
export interface RegionClient {
  /** The region, when known (a bare status function has none). */
  readonly region: string | undefined;
  /**
   * Paced by a request budget: a core client's own (shared by every wait using that client), or
   * core's `rateLimitedSource` around a function the caller passed (one per wait and region). The
   * waiter has no limiter of its own.
   */
  readonly source: StatusSource;
  /** Where the calls go, when known (a core client's `endpoint`), for error messages. */
  readonly endpoint: string | undefined;
  readonly instanceStatus: InstanceStatusLookup | undefined;
  readonly installAgent: AgentInstaller | undefined;
  readonly reboot: InstanceRebooter | undefined;
}

/** The clients of one wait, in the order bare IDs are located, and how to release them. */
export interface OpenedRegions {
  readonly clients: readonly RegionClient[];
  readonly close: (() => Promise<void>) | undefined;
}

/** The environment variable the region is read from when neither `client` nor `region` is given. */
export const REGION_ENV_VAR = 'ALIBABA_CLOUD_REGION_ID';

/** What a budget the wait creates runs on: the wait's clock and timers, and its ceiling. */
export interface BudgetSeams {
  readonly scheduler: SchedulerLike;
  readonly now: () => number;
  readonly random: () => number;
  /** `undefined`: no ceiling. */
  readonly maxRequestsPerSecond: number | undefined;
}

/** A client as given: its source may still need a request budget of the wait's own. */
interface GivenClient extends RegionClient {
  /** Already paced by a request budget (a core client, or a `rateLimitedSource`). */
  readonly budgeted: boolean;
}

/** The wait's scheduler as the clock of a request budget (virtual time in tests). */
function schedulerClock(scheduler: SchedulerLike, now: () => number): BudgetClock {
  return {
    now,
    setTimeout: (callback, ms) => scheduler.schedule(callback, ms),
    clearTimeout: (handle) => (handle as Subscription).unsubscribe(),
  };
}

/**
 * The client a wait polls: a budgeted source as it is; a plain function in a request budget of
 * its own for this wait (core's `rateLimitedSource`, on the wait's clock), so it still backs off
 * when throttled.
 */
function budgeted(client: GivenClient, seams: BudgetSeams): RegionClient {
  const { budgeted: paced, ...rest } = client;
  if (paced) return rest;
  return {
    ...rest,
    source: rateLimitedSource(client.source, {
      maxRequestsPerSecond: seams.maxRequestsPerSecond,
      clock: schedulerClock(seams.scheduler, seams.now),
      random: seams.random,
    }),
  };
}

/** `maxRequestsPerSecond` only sets up budgets the wait creates, never a client's shared one. */
function refuseSharedCeiling(
  given: readonly GivenClient[],
  names: readonly string[],
  seams: BudgetSeams,
): void {
  if (seams.maxRequestsPerSecond === undefined) return;
  const shared = names.filter((_, i) => given[i]!.budgeted);
  if (shared.length === 0) return;
  const whose = `${shared.join(', ')} ${shared.length === 1 ? 'has its' : 'have their'}`;
  throw new OptionTypeError(
    'maxRequestsPerSecond',
    // Said as in code (`options.…`, `createEcsClient`): no CLI sets it for a shared client.
    () =>
      `options.maxRequestsPerSecond applies only to a budget the wait creates; ${whose} own (shared) request budget: ` +
      'set maxRequestsPerSecond in createEcsClient (or rateLimitedSource) instead.',
  );
}

function optionalFn<T>(client: object, key: string): T | undefined {
  const value = (client as Record<string, unknown>)[key];
  return typeof value === 'function' ? (value.bind(client) as T) : undefined;
}

/**
 * A core `EcsClient`, an object with `statusSource` (and optional capabilities), or a bare
 * function, as given (its source not yet budgeted: see {@link budgeted}).
 */
function toGivenClient(client: unknown, region?: string): GivenClient {
  if (typeof client === 'function') {
    return {
      region,
      source: client as StatusSource,
      budgeted: isRateLimitedSource(client),
      endpoint: undefined,
      instanceStatus: undefined,
      installAgent: undefined,
      reboot: undefined,
    };
  }
  if (typeof client === 'object' && client !== null) {
    const source = (client as { statusSource?: unknown }).statusSource;
    if (typeof source === 'function') {
      const own = (client as { region?: unknown }).region;
      const endpoint = (client as { endpoint?: unknown }).endpoint;
      return {
        region: region ?? (typeof own === 'string' ? own : undefined),
        // Checked before binding: the brand is on the client's own function.
        budgeted: isRateLimitedSource(source),
        source: source.bind(client) as StatusSource,
        endpoint: typeof endpoint === 'string' ? endpoint : undefined,
        instanceStatus: optionalFn<InstanceStatusLookup>(client, 'instanceStatus'),
        installAgent: optionalFn<AgentInstaller>(client, 'installAgent'),
        reboot: optionalFn<InstanceRebooter>(client, 'reboot'),
      };
    }
  }
  const what = 'a core EcsClient or a status source function (ids, { signal }) => Promise<InstanceStatus[]>';
  if (region === undefined) throw wrongType('client', what, client);
  // One of `clients`: the message shows it as written in code (`clients["cn-beijing"]`).
  const got = describeValue(client);
  throw new OptionTypeError(
    `clients.${region}`,
    () => `Expected clients[${JSON.stringify(region)}] to be ${what}, got ${got}.`,
  );
}

function resolveEnv(value: unknown): Readonly<Record<string, string | undefined>> {
  if (value === undefined) return process.env;
  return checkObject('env', value, { expected: 'an object of environment variables' }) as Readonly<
    Record<string, string | undefined>
  >;
}

function regionList(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw wrongType('regions', 'a non-empty array of region IDs like ["cn-hangzhou", "cn-beijing"]', value);
  }
  const out: string[] = [];
  for (const r of value) {
    if (typeof r !== 'string' || r === '') {
      const got = describeValue(r);
      throw new OptionTypeError(
        'regions',
        (name) =>
          `Expected every entry of ${name('regions')} to be a region ID like "cn-hangzhou", got ${got}.`,
      );
    }
    if (!out.includes(r)) out.push(r);
  }
  return out;
}

/** Regions named by IDs (`region:id`) that a fixed set of clients does not cover. */
function checkCovered(
  idRegions: readonly string[],
  have: readonly (string | undefined)[],
  option: 'client' | 'clients',
  how: string,
): void {
  const missing = idRegions.filter((r) => !have.includes(r));
  if (missing.length === 0) return;
  throw new OptionTypeError(
    option,
    () =>
      `Instance IDs name the region${missing.length === 1 ? '' : 's'} ${missing.join(', ')}, ` +
      `but ${how}; pass a client for ${missing.length === 1 ? 'it' : 'each'} in options.clients, or use options.regions.`,
  );
}

/**
 * Resolves where a wait's statuses come from, validating eagerly: `client` (one region, or an
 * unnamed one for a bare function), `clients` (region → client, not closed by the wait), or
 * `region`/`regions` (the wait creates one core client per region, sharing `endpoint` and
 * `credentials`, and closes them). Regions named only by IDs (`cn-beijing:i-…`) are added after
 * the listed ones when the wait creates its clients. Bare IDs are located in this order.
 *
 * Every region's source is paced by one request budget (core's; the waiter has none): a core
 * client's own, shared with other waits on that client (so `maxRequestsPerSecond` is refused with
 * it), one per region the wait creates (with `maxRequestsPerSecond` as its ceiling), or, for a
 * plain function, a `rateLimitedSource` created per wait and region on the wait's clock.
 *
 * @param idRegions the distinct regions the IDs name
 * @param hasBareIds whether some IDs name no region (then a region is needed)
 */
export function resolveRegionClients(
  o: Readonly<Record<string, unknown>>,
  idRegions: readonly string[],
  hasBareIds: boolean,
  seams: BudgetSeams,
): () => OpenedRegions {
  const { client, clients } = o;
  const given = ['client', 'clients', 'region', 'regions'].filter((k) => o[k] !== undefined);
  if (given.length > 1 && !(given.length === 2 && given.includes('region') && given.includes('regions'))) {
    // The option named second is the one that conflicts with the first.
    throw new OptionTypeError(
      given[1]!,
      () =>
        `Expected one of options.client, options.clients and options.region(s), got ${given.join(' and ')}.`,
    );
  }
  if (o['region'] !== undefined && o['regions'] !== undefined) {
    throw new OptionTypeError(
      'regions',
      () => 'Expected either options.region or options.regions, not both.',
    );
  }
  if (client !== undefined || clients !== undefined) {
    for (const key of ['endpoint', 'credentials']) {
      if (o[key] !== undefined)
        throw new OptionTypeError(
          key,
          () => `options.${key} only applies with options.region(s), not with a client.`,
        );
    }
  }
  if (client !== undefined) {
    const one = toGivenClient(client);
    refuseSharedCeiling([one], ['this client'], seams);
    if (idRegions.length > 0) {
      checkCovered(
        idRegions,
        [one.region],
        'client',
        one.region === undefined ? 'options.client has no region' : `options.client is for ${one.region}`,
      );
    }
    return () => ({ clients: [budgeted(one, seams)], close: undefined });
  }
  if (clients !== undefined) {
    if (typeof clients !== 'object' || clients === null || Array.isArray(clients)) {
      throw wrongType(
        'clients',
        "an object of region → client, e.g. { 'cn-hangzhou': ecsA, 'cn-beijing': ecsB }",
        clients,
      );
    }
    const list = Object.entries(clients as Record<string, unknown>).map(([region, c]) =>
      toGivenClient(c, region),
    );
    if (list.length === 0) {
      throw new OptionTypeError(
        'clients',
        (name) => `Expected ${name('clients')} to name at least one region.`,
      );
    }
    refuseSharedCeiling(
      list,
      list.map((c) => `clients[${JSON.stringify(c.region)}]`),
      seams,
    );
    checkCovered(
      idRegions,
      list.map((c) => c.region),
      'clients',
      `options.clients has ${list.map((c) => c.region).join(', ')}`,
    );
    return () => ({ clients: list.map((c) => budgeted(c, seams)), close: undefined });
  }

  const env = resolveEnv(o['env']);
  let listed: string[];
  if (o['regions'] !== undefined) listed = regionList(o['regions']);
  else if (o['region'] !== undefined) {
    if (typeof o['region'] !== 'string') {
      throw wrongType('region', 'a region ID like "cn-hangzhou"', o['region']);
    }
    listed = [o['region']];
  } else {
    const fromEnv = env[REGION_ENV_VAR]?.trim();
    listed = fromEnv === undefined || fromEnv === '' ? [] : [fromEnv];
    if (listed.length === 0 && (hasBareIds || idRegions.length === 0)) {
      throw new OptionTypeError(
        'region',
        () => `No region to poll. Pass options.region or options.client, or set ${REGION_ENV_VAR}.`,
      );
    }
  }
  const regions = [...listed, ...idRegions.filter((r) => !listed.includes(r))];
  const credentials = o['credentials'] as EcsClientOptions['credentials'];
  const base = (region: string, shared: Credentials | CredentialsProvider | undefined): EcsClientOptions => ({
    region,
    ...(o['endpoint'] === undefined ? {} : { endpoint: o['endpoint'] as string }),
    ...(shared !== undefined
      ? { credentials: shared }
      : // The default chain reads the same environment as the region.
        { credentialsChain: { env } }),
    // Each region's client has its own request budget (ECS counts calls per region and action).
    ...(seams.maxRequestsPerSecond === undefined ? {} : { maxRequestsPerSecond: seams.maxRequestsPerSecond }),
  });
  // Validate now (core checks region, endpoint and credentials shape when constructing); the
  // probe clients have sent nothing and are closed at once.
  for (const region of regions) {
    void createEcsClient(base(region, credentials))
      .close()
      .catch(() => {});
  }
  return () => {
    // Several regions share one default chain, so it is resolved (and an ECS RAM role fetched) once.
    const shared = credentials ?? (regions.length > 1 ? defaultCredentialsProvider({ env }) : undefined);
    const created = regions.map((region) => createEcsClient(base(region, shared)));
    return {
      clients: created.map((ecs) => budgeted(toGivenClient(ecs), seams)),
      close: async () => {
        await Promise.all(created.map((ecs) => ecs.close().catch(() => {})));
      },
    };
  };
}
