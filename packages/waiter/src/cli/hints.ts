/**
 * What to do about a permanent API error, in CLI terms: the fix, not "Run with --help". Keyed by
 * the API code's family (stable codes from the API, never message text).
 */
export interface HintContext {
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
}

/** API codes that mean ECS refuses the region (user input: exit 2), whether unknown or not served. */
const REGION_API_CODE = /^(?:InvalidRegionId|RegionId\.|InvalidRegion|UnsupportedRegion)/;

/** Whether ECS refused the request for its region, which the user chose (`--region`). */
export const isRegionRefused = (apiCode: string | undefined): boolean =>
  apiCode !== undefined && REGION_API_CODE.test(apiCode);

const FIXES: readonly (readonly [RegExp, (c: HintContext) => string])[] = [
  [
    // Not a region at all (a typo), as opposed to a real region without this API (below).
    /^InvalidRegionId\.NotFound$/,
    (c) =>
      `ECS knows no region ${c.region ?? '(none)'}${c.endpoint === undefined ? '' : ` at ${c.endpoint}`}: ` +
      'check --region (e.g. cn-hangzhou), and drop --endpoint unless you need a specific one.',
  ],
  [
    REGION_API_CODE,
    (c) =>
      `ECS does not serve DescribeCloudAssistantStatus for region ${c.region ?? '(none)'}` +
      `${c.endpoint === undefined ? '' : ` at ${c.endpoint}`}: check --region (e.g. cn-hangzhou), and drop --endpoint unless you need a specific one.`,
  ],
  [
    /^(?:Forbidden|NoPermission|InvalidAuthorization|Unauthorized)/,
    () =>
      'Grant the RAM permission ecs:DescribeCloudAssistantStatus to the user or role of this AccessKey (RAM console, or the AliyunECSReadOnlyAccess policy).',
  ],
  [
    /^(?:Signature|IncompleteSignature)/,
    () =>
      'The AccessKey secret does not match its ID: check ALIBABA_CLOUD_ACCESS_KEY_SECRET or the profile in use.',
  ],
  [
    /^(?:InvalidAccessKeyId|InvalidSecurityToken)/,
    () =>
      'The AccessKey ID (or STS token) is unknown, disabled or expired: check ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_SECURITY_TOKEN or the profile in use.',
  ],
  [
    /^(?:InvalidTimeStamp|IllegalTimestamp)/,
    () =>
      'The request time was refused: set this machine’s clock right (NTP); signatures are valid for 15 minutes.',
  ],
];

/** The fix for an API code, or undefined when there is nothing more specific to say. */
export const fixForApiCode = (apiCode: string | undefined, context: HintContext): string | undefined => {
  if (apiCode === undefined) return undefined;
  for (const [pattern, fix] of FIXES) if (pattern.test(apiCode)) return fix(context);
  return undefined;
};
