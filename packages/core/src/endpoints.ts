/**
 * Region → endpoint, exactly as the official TS SDK (`@alicloud/ecs20140526` 7.11.6, rule
 * "regional") resolves it, and the checks on a user-supplied endpoint (HTTPS unless loopback).
 */
import { editDistance } from './closest-match.js';
import { OptionRangeError } from './option-errors.js';
import { checkString } from './options.js';

/** The SDK's `_endpointMap`: regions that do not follow `ecs.<region>.aliyuncs.com`. */
const SDK_ENDPOINT_MAP: Readonly<Record<string, string>> = {
  'cn-hangzhou': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-shanghai-finance-1': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-shenzhen-finance-1': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-north-2-gov-1': 'ecs.aliyuncs.com',
  'ap-northeast-2-pop': 'ecs.aliyuncs.com',
  'cn-beijing-finance-pop': 'ecs.aliyuncs.com',
  'cn-beijing-gov-1': 'ecs.aliyuncs.com',
  'cn-beijing-nu16-b01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-edge-1': 'ecs.cn-qingdao-nebula.aliyuncs.com',
  'cn-fujian': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-haidian-cm12-c01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-hangzhou-bj-b01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-hangzhou-finance': 'ecs.aliyuncs.com',
  'cn-hangzhou-internal-prod-1': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-hangzhou-internal-test-1': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-hangzhou-internal-test-2': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-hangzhou-internal-test-3': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-hangzhou-test-306': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-hongkong-finance-pop': 'ecs.aliyuncs.com',
  'cn-huhehaote-nebula-1': 'ecs.cn-qingdao-nebula.aliyuncs.com',
  'cn-shanghai-et15-b01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-shanghai-et2-b01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-shanghai-inner': 'ecs.aliyuncs.com',
  'cn-shanghai-internal-test-1': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-shenzhen-inner': 'ecs.aliyuncs.com',
  'cn-shenzhen-st4-d01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-shenzhen-su18-b01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-wuhan': 'ecs.aliyuncs.com',
  'cn-yushanfang': 'ecs.aliyuncs.com',
  'cn-zhangbei': 'ecs.aliyuncs.com',
  'cn-zhangbei-na61-b01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-zhangjiakou-na62-a01': 'ecs.cn-zhangjiakou.aliyuncs.com',
  'cn-zhengzhou-nebula-1': 'ecs.cn-qingdao-nebula.aliyuncs.com',
  'eu-west-1-oxs': 'ecs.cn-shenzhen-cloudstone.aliyuncs.com',
  'rus-west-1-pop': 'ecs.aliyuncs.com',
};

/** Public ECS regions (endpoint docs, 2026), besides those in the SDK map. */
const PUBLIC_REGIONS = [
  'cn-qingdao',
  'cn-beijing',
  'cn-zhangjiakou',
  'cn-huhehaote',
  'cn-wulanchabu',
  'cn-hangzhou',
  'cn-shanghai',
  'cn-nanjing',
  'cn-fuzhou',
  'cn-shenzhen',
  'cn-heyuan',
  'cn-guangzhou',
  'cn-chengdu',
  'cn-wuhan-lr',
  'cn-zhengzhou-jva',
  'cn-hongkong',
  'cn-beijing-finance-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ap-south-1',
  'us-east-1',
  'us-west-1',
  'na-south-1',
  'eu-west-1',
  'eu-central-1',
  'me-east-1',
  'me-central-1',
];

/** Every region ID this package knows; others need `endpoint` or `allowUnknownRegion`. */
export const KNOWN_REGIONS: ReadonlySet<string> = new Set([
  ...PUBLIC_REGIONS,
  ...Object.keys(SDK_ENDPOINT_MAP),
]);

const REGION_ID = /^[a-z]{2,}(?:-[a-z0-9]+)+$/;

/** Up to three known regions closest to `region`. */
export function closeRegions(region: string): string[] {
  return [...KNOWN_REGIONS]
    .map((r) => [r, editDistance(region, r)] as const)
    .filter(([, d]) => d <= Math.max(3, Math.floor(region.length / 3)))
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, 3)
    .map(([r]) => r);
}

/**
 * Checks a region ID: malformed → RangeError; well-formed but unknown → RangeError with close
 * matches, unless `allowUnknown` (then the SDK's default rule applies).
 */
export function validateRegion(region: unknown, allowUnknown: boolean): string {
  const id = checkString('region', region, { expected: 'a region ID string such as "cn-hangzhou"' });
  const shown = JSON.stringify(id);
  if (!REGION_ID.test(id)) {
    throw new OptionRangeError(
      'region',
      (name) =>
        `${name('region')} ${shown} is not a region ID; expected lower-case words joined by "-", such as "cn-hangzhou".`,
    );
  }
  if (!allowUnknown && !KNOWN_REGIONS.has(id)) {
    const close = closeRegions(id);
    const hint = close.length > 0 ? ` Did you mean ${close.map((r) => JSON.stringify(r)).join(' or ')}?` : '';
    throw new OptionRangeError('region', (name, settable) => {
      const allow = settable('allowUnknownRegion');
      return (
        `${name('region')} ${shown} is not a known ECS region.${hint} For a new region pass ` +
        `${name('endpoint')} (e.g. "ecs.${id}.aliyuncs.com")${allow === undefined ? '' : ` or ${allow}: true`}.`
      );
    });
  }
  return id;
}

/** The host the official SDK would use for `region`. */
export function regionHost(region: string): string {
  return SDK_ENDPOINT_MAP[region] ?? `ecs.${region}.aliyuncs.com`;
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_LOOPBACK = new RegExp(`^127\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/**
 * Whether a URL hostname is on the loopback interface: a literal 127.0.0.0/8 address, `::1`
 * (bare or in brackets) or exactly `localhost` (any case). Nothing that needs a resolver to say
 * so: a subdomain such as `foo.localhost` is not loopback here, since the system resolver may send
 * it anywhere.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h =
    hostname.length > 1 && hostname.startsWith('[') && hostname.endsWith(']')
      ? hostname.slice(1, -1)
      : hostname;
  if (h.toLowerCase() === 'localhost' || h === '::1') return true;
  return IPV4_LOOPBACK.test(h);
}

export interface ResolvedEndpoint {
  /** `protocol://host[:port]`, no trailing slash. */
  readonly origin: string;
  /** `host[:port]`, as sent in the `host` header and signed. */
  readonly host: string;
}

/**
 * Resolves the `endpoint` option (a full `http(s)://` URL or a bare host, meaning HTTPS) or, when
 * absent, the region's SDK endpoint. Plain HTTP is refused unless the host is loopback or
 * `allowInsecureHttp` is set, because the signed request would otherwise cross the network in clear.
 */
export function resolveEndpoint(
  region: string,
  endpoint: string | undefined,
  allowInsecureHttp: boolean,
): ResolvedEndpoint {
  if (endpoint === undefined) {
    const host = regionHost(region);
    return { origin: `https://${host}`, host };
  }
  checkString('endpoint', endpoint, { nonEmpty: true, expected: 'a URL or host name' });
  const shown = JSON.stringify(endpoint);
  const refuse = (problem: string): OptionRangeError =>
    new OptionRangeError('endpoint', (name) => `${name('endpoint')} ${problem}.`);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw refuse(`${shown} is not a valid URL or host name`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw refuse(`${shown} must use https:// (or http:// to loopback)`);
  }
  if (
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    // The origin only: the rest may hold credentials.
    throw refuse(`${JSON.stringify(url.origin)}… must be an origin only: no path, query or credentials`);
  }
  if (url.protocol === 'http:' && !allowInsecureHttp && !isLoopbackHost(url.hostname)) {
    const origin = JSON.stringify(url.origin);
    throw new OptionRangeError('endpoint', (name, settable) => {
      const allow = settable('allowInsecureHttp');
      // Without a way to allow it (the CLI has none, on purpose: the signed request would cross
      // the network in clear), the message says what does work.
      return allow === undefined
        ? `${name('endpoint')} ${origin} uses plain http:// to a non-loopback host: use https://, or http:// only to 127.0.0.1 or localhost (the simulator).`
        : `${name('endpoint')} ${origin} uses plain http:// to a non-loopback host; use https:// or set ${allow}: true.`;
    });
  }
  return { origin: url.origin, host: url.host };
}
