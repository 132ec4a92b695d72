/**
 * The shapes the credentials chain works with: what a provider is, the chain's options, which
 * source won, and what each source gets and returns.
 */
import type { Credentials } from './sign.js';

/**
 * Returns the credentials to sign the next request with; called before every attempt, with the
 * attempt's `signal` (the call's): a provider that reads files or the network should stop when
 * it aborts. The client does not wait for a provider past the abort either way.
 */
export type CredentialsProvider = (options?: {
  readonly signal?: AbortSignal | undefined;
}) => Promise<Credentials>;

/** Options of the default chain; all are test seams with the real thing as default. */
export interface DefaultCredentialsOptions {
  /**
   * Environment to read.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Home directory holding `.aliyun/config.json` and `.alibabacloud/credentials`.
   * @default os.homedir()
   */
  readonly homeDir?: string;
  /**
   * Metadata service base URL.
   * @default 'http://100.100.100.200'
   */
  readonly imdsEndpoint?: string;
  /**
   * Timeout of each metadata request (at most 2^31 − 1).
   * @default 1000
   */
  readonly imdsTimeoutMs?: number;
  /**
   * Role credentials are refreshed this long before their `Expiration`.
   * @default 300000
   */
  readonly refreshBeforeExpiryMs?: number;
  /**
   * Clock for expiry checks.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** Which link of the default chain supplied the credentials (never the credentials themselves). */
export interface CredentialsSource {
  readonly kind: 'environment' | 'aliyun-cli-profile' | 'credentials-file' | 'ecs-ram-role';
  /** For people: `environment variables ALIBABA_CLOUD_ACCESS_KEY_ID/…`, `Aliyun CLI profile …, profile "sim"`. */
  readonly description: string;
  /** The profile (`~/.aliyun/config.json`) or section (`~/.alibabacloud/credentials`) used. */
  readonly profile?: string | undefined;
  /** The Aliyun CLI profile's `region_id`, when it has one (the aliyun CLI uses it as the default region). */
  readonly regionId?: string | undefined;
}

/** The result of one source: credentials, or why it gave none (for the error listing). */
export type SourceResult =
  | { readonly kind: 'found'; readonly provider: CredentialsProvider; readonly source: CredentialsSource }
  | { readonly kind: 'none'; readonly reason: string };

export interface ChainContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
  readonly imds: ImdsOptions;
  /** Aborted when every caller waiting for this lookup has given up. */
  readonly signal: AbortSignal;
}

export interface ImdsOptions {
  readonly endpoint: string;
  readonly timeoutMs: number;
  readonly refreshBeforeExpiryMs: number;
  readonly now: () => number;
  readonly imdsV1Disabled: boolean;
  readonly roleName?: string | undefined;
}
