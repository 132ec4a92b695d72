/**
 * `createEcsClient`'s options: their defaults, the keys it reads, and the one place they are
 * checked (with the option checker of options.ts), before the client builds anything.
 */
import type { Dispatcher } from 'undici';
import type { EcsClientOptions } from './client-types.js';
import { type CredentialsProvider, toCredentialsProvider } from './credentials.js';
import { type ResolvedEndpoint, resolveEndpoint, validateRegion } from './endpoints.js';
import { OptionTypeError } from './option-errors.js';
import {
  allKeys,
  checkBoolean,
  checkFunction,
  checkInteger,
  checkMilliseconds,
  checkNumber,
  checkOneOf,
  checkOptionKeys,
  checkString,
  wrongType,
} from './options.js';
import type { RateLimitOptions } from './rate-limit.js';
import { type RetryPolicy, resolveRetryPolicy } from './retry.js';

/** The defaults of {@link EcsClientOptions}. */
export const defaults = {
  signatureVersion: 'v3',
  timeoutMs: 10_000,
  maxConcurrency: 16,
  maxRequestsPerSecond: Number.POSITIVE_INFINITY,
  maxResponseBytes: 10 * 1024 * 1024,
  keepAliveTimeoutMs: 30_000,
  allowInsecureHttp: false,
  allowUnknownRegion: false,
  userAgent: `cloud-assistant-gate/0.1.0 Node.js/${process.version}`,
  now: Date.now,
  random: Math.random,
} as const;

/** Every key of {@link EcsClientOptions}: anything else is refused (a typo would be ignored silently). */
const CLIENT_OPTION_KEYS = allKeys<EcsClientOptions>()([
  'region',
  'credentials',
  'credentialsChain',
  'endpoint',
  'allowInsecureHttp',
  'allowUnknownRegion',
  'signatureVersion',
  'timeoutMs',
  'retry',
  'maxConcurrency',
  'maxRequestsPerSecond',
  'rateLimit',
  'maxResponseBytes',
  'keepAliveTimeoutMs',
  'dispatcher',
  'userAgent',
  'now',
  'random',
]);

/** The largest `maxResponseBytes`: V8 cannot hold a much longer string than 2^29 characters. */
const MAX_RESPONSE_BYTES_LIMIT = 2 ** 28;
/** Below this, the pause between two requests would overflow a timer. */
const MIN_REQUESTS_PER_SECOND = 0.001;

/** {@link EcsClientOptions}, checked, with the defaults filled in. */
export interface ClientSettings {
  readonly region: string;
  readonly endpoint: ResolvedEndpoint;
  readonly v1: boolean;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly maxConcurrency: number;
  readonly maxRequestsPerSecond: number;
  /** `false`: no adaptive rate limiting. */
  readonly rateLimit: RateLimitOptions | false;
  readonly maxResponseBytes: number;
  readonly keepAliveTimeoutMs: number;
  readonly dispatcher: Dispatcher | undefined;
  readonly userAgent: string;
  readonly credentials: CredentialsProvider;
  readonly now: () => number;
  readonly random: () => number;
}

/**
 * Checks every option of `createEcsClient` (an {@link OptionTypeError}, `OptionRangeError` or
 * `UnknownOptionError` naming it) and fills the defaults. Credentials are only checked here, never
 * looked up: that happens on the first call.
 */
export function resolveClientOptions(options: EcsClientOptions): ClientSettings {
  if (typeof options !== 'object' || options === null) {
    throw wrongType('options', 'an object with at least region', options);
  }
  checkOptionKeys(options, CLIENT_OPTION_KEYS, 'createEcsClient');
  // `??`, not the checks' `default`: the client has always taken `null` as "not given".
  const o = options;
  const allowUnknownRegion = checkBoolean(
    'allowUnknownRegion',
    o.allowUnknownRegion ?? defaults.allowUnknownRegion,
  );
  const region = validateRegion(o.region, allowUnknownRegion || o.endpoint !== undefined);
  const allowInsecureHttp = checkBoolean(
    'allowInsecureHttp',
    o.allowInsecureHttp ?? defaults.allowInsecureHttp,
  );
  const endpoint = resolveEndpoint(region, o.endpoint, allowInsecureHttp);
  const signatureVersion = checkOneOf('signatureVersion', o.signatureVersion ?? defaults.signatureVersion, [
    'v3',
    'v1',
  ]);
  const timeoutMs = checkMilliseconds('timeoutMs', o.timeoutMs ?? defaults.timeoutMs, {
    min: 1,
    integer: true,
  });
  const retry = resolveRetryPolicy(o.retry);
  const maxConcurrency = checkInteger('maxConcurrency', o.maxConcurrency ?? defaults.maxConcurrency, {
    min: 1,
  });
  const maxResponseBytes = checkInteger('maxResponseBytes', o.maxResponseBytes ?? defaults.maxResponseBytes, {
    min: 1,
    max: MAX_RESPONSE_BYTES_LIMIT,
  });
  const keepAliveTimeoutMs = checkMilliseconds(
    'keepAliveTimeoutMs',
    o.keepAliveTimeoutMs ?? defaults.keepAliveTimeoutMs,
    { min: 1, integer: true },
  );
  // Below the minimum, the pause between two requests would overflow a timer.
  const maxRequestsPerSecond = checkNumber(
    'maxRequestsPerSecond',
    o.maxRequestsPerSecond ?? defaults.maxRequestsPerSecond,
    {
      min: MIN_REQUESTS_PER_SECOND,
      expected: `a number ≥ ${MIN_REQUESTS_PER_SECOND} (or Infinity for no cap)`,
    },
  );
  const now = checkFunction<() => number>('now', o.now ?? defaults.now);
  const random = checkFunction<() => number>('random', o.random ?? defaults.random);
  if (
    o.rateLimit !== undefined &&
    o.rateLimit !== false &&
    (typeof o.rateLimit !== 'object' || o.rateLimit === null)
  ) {
    throw wrongType('rateLimit', 'an object or false', o.rateLimit);
  }
  if (o.dispatcher !== undefined && (typeof o.dispatcher !== 'object' || o.dispatcher === null)) {
    throw wrongType('dispatcher', 'an undici Dispatcher', o.dispatcher);
  }
  const userAgent = checkString('userAgent', o.userAgent ?? defaults.userAgent);
  if (
    o.credentials !== undefined &&
    typeof o.credentials !== 'function' &&
    typeof o.credentials !== 'object'
  ) {
    // The type only, never the value: a string here may well be the secret.
    const type = typeof o.credentials;
    throw new OptionTypeError(
      'credentials',
      (name) => `Expected ${name('credentials')} to be an object or a function, got ${type}.`,
    );
  }
  const credentials = toCredentialsProvider(o.credentials, o.credentialsChain);
  return {
    region,
    endpoint,
    v1: signatureVersion === 'v1',
    timeoutMs,
    retry,
    maxConcurrency,
    maxRequestsPerSecond,
    rateLimit: o.rateLimit ?? {},
    maxResponseBytes,
    keepAliveTimeoutMs,
    dispatcher: o.dispatcher,
    userAgent,
    credentials,
    now,
    random,
  };
}
