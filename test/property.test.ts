/**
 * Property tests over the pure parts that meet untrusted text: core's response parser, core's
 * canonicaliser (against an independent reference written here), and the CLI's ID and duration
 * parsers.
 */
import { isEcsError } from '@cloud-assistant-gate/core';
import { canonicalQueryString, percentEncode } from '@cloud-assistant-gate/core/signing';
import { INSTANCE_ID_PATTERN as ENGINE_ID_PATTERN, parseInstanceIds } from '@cloud-assistant-gate/waiter';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  bodyErrorCode,
  fastDescribe,
  parseDescribeCloudAssistantStatus,
  schemaDescribe,
} from '../packages/core/src/schemas.js';
import { MAX_DURATION_MS, parseDuration } from '../packages/waiter/src/cli/duration.js';
import { CliUsageError } from '../packages/waiter/src/cli/errors.js';
import { collectIds, IdCollector, readIdStream } from '../packages/waiter/src/cli/ids.js';

const RUNS = process.env['CAG_SOAK'] === '1' ? 20_000 : 1_000;
// The soak runs 20 times as many cases: on a busy machine one property then takes over a minute
// (40,000 nearly valid bodies took 71 s at a load average of 10 on 2 cores), past the 60 s default.
if (RUNS > 1_000) vi.setConfig({ testTimeout: 900_000 });
const figures: Record<string, number> = {};
const count = (name: string) => {
  figures[name] = (figures[name] ?? 0) + 1;
};
afterAll(() => {
  console.log(`PROPERTY-FIGURES ${JSON.stringify(figures)}`);
});

// ---------------------------------------------------------------------------------------------
// Response parser

const nearlyValidItem = fc.record(
  {
    InstanceId: fc.oneof(fc.string(), fc.constantFrom('i-bp1abc', 'mi-xyz'), fc.jsonValue()),
    CloudAssistantStatus: fc.oneof(
      fc.constantFrom('true', 'false', 'True', 'FALSE', 'yes', '1', '', ' true'),
      fc.boolean(),
      fc.jsonValue(),
    ),
    CloudAssistantVersion: fc.oneof(fc.string(), fc.jsonValue()),
    LastHeartbeatTime: fc.oneof(fc.string(), fc.jsonValue()),
    ActiveTaskCount: fc.oneof(fc.integer(), fc.stringMatching(/^-?\d{1,5}$/), fc.jsonValue()),
    InvocationCount: fc.oneof(fc.integer(), fc.jsonValue()),
    OSType: fc.oneof(fc.constantFrom('Linux', 'Windows'), fc.jsonValue()),
    SupportSessionManager: fc.oneof(fc.boolean(), fc.constantFrom('true', 'false'), fc.jsonValue()),
    __proto__: fc.jsonValue(),
    constructor: fc.jsonValue(),
    Unknown: fc.jsonValue(),
  },
  { requiredKeys: [] },
);
const nearlyValidBody = fc.record(
  {
    RequestId: fc.oneof(fc.string(), fc.jsonValue()),
    // An error inside an HTTP 200 (issue 13 item 3), a success marker, or noise.
    Code: fc.oneof(
      fc.constantFrom('Forbidden.RAM', 'Success', 'OK', '', 'ServiceUnavailable'),
      fc.jsonValue(),
    ),
    Message: fc.oneof(fc.string(), fc.jsonValue()),
    TotalCount: fc.oneof(fc.integer(), fc.jsonValue()),
    NextToken: fc.oneof(fc.string(), fc.jsonValue()),
    InstanceCloudAssistantStatusSet: fc.oneof(
      fc.record(
        {
          InstanceCloudAssistantStatus: fc.oneof(fc.array(nearlyValidItem, { maxLength: 5 }), fc.jsonValue()),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    ),
  },
  { requiredKeys: [] },
);
/** JSON text, parsed as the client parses it (so `__proto__` keys are own data properties). */
const asParsedJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

/** What a reading must say, judged independently: "true"/"false" in any case, or a boolean. */
function referenceOnline(raw: unknown): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string' && /^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  return undefined;
}

function checkParse(data: unknown): void {
  let result: ReturnType<typeof parseDescribeCloudAssistantStatus>;
  try {
    result = parseDescribeCloudAssistantStatus(data);
  } catch (error) {
    count('parser rejections');
    expect(isEcsError(error), `not one of our errors: ${String(error)}`).toBe(true);
    const errorCode = bodyErrorCode(data);
    if (errorCode !== undefined) {
      // A body naming an error is that API error, whatever else it holds.
      expect(error).toMatchObject({ code: 'ECS_API_ERROR', apiCode: errorCode, statusCode: 200 });
      count('error bodies');
      return;
    }
    expect((error as { code: string }).code).toBe('ECS_RESPONSE_INVALID');
    return;
  }
  count('parser acceptances');
  expect(bodyErrorCode(data), 'a body with an error Code was accepted').toBeUndefined();
  const body = data as Record<string, unknown>;
  expect(typeof result.requestId).toBe('string');
  expect(result.requestId).toBe(body['RequestId']);
  const set = body['InstanceCloudAssistantStatusSet'] as Record<string, unknown> | undefined;
  const items = (set?.['InstanceCloudAssistantStatus'] ?? []) as Record<string, unknown>[];
  expect(result.instances).toHaveLength(items.length);
  result.instances.forEach((st, i) => {
    const raw = items[i]!;
    expect(st.instanceId).toBe(raw['InstanceId']);
    expect(typeof st.instanceId).toBe('string');
    // The one field the gate's decision rests on: never "online" unless the API said so.
    expect(st.cloudAssistantStatus).toBe(referenceOnline(raw['CloudAssistantStatus']));
    expect(Object.getPrototypeOf(st)).toBe(Object.prototype);
  });
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
}

describe('the response parser', () => {
  it('on arbitrary JSON, either parses or throws our ECS_RESPONSE_INVALID error, never anything else', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => checkParse(asParsedJson(value))),
      { numRuns: RUNS },
    );
  });

  it('on nearly valid bodies, reports online exactly when the API said "true" and keeps every item in order', () => {
    fc.assert(
      fc.property(nearlyValidBody, (body) => checkParse(asParsedJson(body))),
      { numRuns: RUNS * 2 },
    );
  });

  it('on non-JSON values (undefined, functions, symbols, cyclic objects) throws only our error', () => {
    const cyclic: Record<string, unknown> = { RequestId: 'r' };
    cyclic['InstanceCloudAssistantStatusSet'] = cyclic;
    for (const value of [undefined, () => 1, Symbol('x'), cyclic, new Date(0), [], 'text', 1n]) {
      checkParse(value);
    }
  });
});

/**
 * The fast path (a plain check of the exact wire shape) may only accept what the zod schema
 * accepts, with the same result; otherwise the parser's answer would depend on which path ran
 * (issue 13 item 3: the fast path took the status set as an array for "no instances").
 */
function checkAgreement(data: unknown): void {
  const fast = fastDescribe(data);
  let schema: ReturnType<typeof schemaDescribe> | undefined;
  let schemaError: unknown;
  try {
    schema = schemaDescribe(data);
  } catch (error) {
    schemaError = error;
    expect((error as { code?: unknown }).code).toBe('ECS_RESPONSE_INVALID');
  }
  if (fast === undefined) {
    count('fast path declined');
    return;
  }
  count('fast path accepted');
  expect(schemaError, 'the fast path accepted what the schema refuses').toBeUndefined();
  expect(fast).toStrictEqual(schema);
}

describe('the parser fast path and the schema path', () => {
  const bodies = fc.oneof(
    fc.jsonValue(),
    nearlyValidBody,
    // Exact wire shapes, so the fast path is taken often.
    fc.record({
      RequestId: fc.string(),
      TotalCount: fc.oneof(fc.integer(), fc.double()),
      NextToken: fc.oneof(fc.string(), fc.constant('')),
      InstanceCloudAssistantStatusSet: fc.oneof(
        fc.record(
          {
            InstanceCloudAssistantStatus: fc.array(
              fc.record(
                {
                  InstanceId: fc.string(),
                  CloudAssistantStatus: fc.constantFrom('true', 'false', true, false),
                  CloudAssistantVersion: fc.string(),
                  ActiveTaskCount: fc.oneof(fc.integer(), fc.double()),
                  SupportSessionManager: fc.boolean(),
                  OSType: fc.string(),
                },
                { requiredKeys: ['InstanceId', 'CloudAssistantStatus'] },
              ),
              { maxLength: 4 },
            ),
          },
          { requiredKeys: [] },
        ),
        fc.array(fc.jsonValue(), { maxLength: 2 }),
      ),
    }),
  );

  it('agree: whatever the fast path accepts, the schema accepts with the same result', () => {
    fc.assert(
      fc.property(bodies, (body) => checkAgreement(asParsedJson(body))),
      { numRuns: RUNS * 3 },
    );
  });

  it('agree on the shapes that once split them: a status set given as an array, an error Code in a 200, 1e999', () => {
    for (const text of [
      '{"RequestId":"r","InstanceCloudAssistantStatusSet":[]}',
      '{"RequestId":"r","InstanceCloudAssistantStatusSet":[{"InstanceId":"i-1","CloudAssistantStatus":"true"}]}',
      '{"RequestId":"r","TotalCount":1e999}',
      '{"RequestId":"r","InstanceCloudAssistantStatusSet":{"InstanceCloudAssistantStatus":[{"InstanceId":"i-1","CloudAssistantStatus":"true","ActiveTaskCount":1e999}]}}',
    ]) {
      const data = JSON.parse(text) as unknown;
      checkAgreement(data);
      expect(fastDescribe(data), text).toBeUndefined();
      expect(() => parseDescribeCloudAssistantStatus(data), text).toThrow(
        expect.objectContaining({ code: 'ECS_RESPONSE_INVALID' }),
      );
    }
    const forbidden = {
      RequestId: 'r',
      HostId: 'ecs.aliyuncs.com',
      Code: 'Forbidden.RAM',
      Message: 'not allowed',
    };
    checkAgreement(forbidden);
    expect(() => parseDescribeCloudAssistantStatus(forbidden)).toThrow(
      expect.objectContaining({
        code: 'ECS_API_ERROR',
        apiCode: 'Forbidden.RAM',
        statusCode: 200,
        retryable: false,
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Canonicaliser

/** UTF-8 bytes of a JS string, lone surrogates as U+FFFD, written without TextEncoder. */
function utf8(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else cp = 0xfffd;
    } else if (cp >= 0xdc00 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return out;
}

const UNRESERVED = new Set('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~');

/** RFC 3986 encoding as both Alibaba signature schemes define it. */
function referenceEncode(s: string): string {
  let out = '';
  for (const byte of utf8(s)) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.has(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Sorted by UTF-16 code units, compared by hand. */
function compareCodeUnits(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function referenceCanonical(entries: readonly (readonly [string, string])[]): string {
  return [...entries]
    .sort((x, y) => compareCodeUnits(x[0], y[0]))
    .map(([k, v]) => `${referenceEncode(k)}=${referenceEncode(v)}`)
    .join('&');
}

const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'toString',
    'InstanceId.10',
    'InstanceId.2',
    ' ',
    '*',
    '~',
    "'()!",
  ),
);

describe('the canonicaliser', () => {
  it('percent-encodes arbitrary Unicode exactly like an independent RFC 3986 reference', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        count('percentEncode inputs');
        expect(percentEncode(s)).toBe(referenceEncode(s));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('builds the canonical query of arbitrary Unicode keys and values exactly like the reference', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(anyString, anyString), { selector: ([k]) => k, maxLength: 12 }),
        (entries) => {
          count('canonical query inputs');
          // Own data properties, `__proto__` included, as a parsed request would have them.
          const params = Object.fromEntries(entries) as Record<string, string>;
          expect(canonicalQueryString(params)).toBe(referenceCanonical(entries));
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('gives the same canonical query whatever the insertion order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(anyString, anyString), { selector: ([k]) => k, maxLength: 10 }),
        fc.infiniteStream(fc.nat()),
        (entries, stream) => {
          const shuffled = [...entries];
          const it = stream[Symbol.iterator]();
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = (it.next().value as number) % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
          }
          expect(canonicalQueryString(Object.fromEntries(shuffled))).toBe(
            canonicalQueryString(Object.fromEntries(entries)),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// CLI ID parser

// Lower-case only: ECS matches IDs exactly, so the parser refuses `I-ABC` (with a hint).
const SAFE_ID = /^m?i-[0-9a-z]{1,64}$/;

const idishString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.stringMatching(/^(m?i-[a-zA-Z0-9]{0,70}|[a-zA-Z&=%#*,"' \t\r\n\u00a0\ufeff-]{0,10}){1,4}$/),
  fc.constantFrom(
    'i-abc&Action=DeleteInstance',
    'i-abc%26Action%3DDeleteInstance',
    'i-abc\nAction=DeleteInstance',
    'i-abc#comment',
    'i-abc,i-def',
    '"i-abc"',
    '\ufeffi-abc',
    'i-abc\r',
    'I-ABC',
    'i-',
    'mi-',
    'ｉ-abc',
  ),
);

async function idsOrUsageError(run: () => Promise<string[]>): Promise<string[] | CliUsageError> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CliUsageError) return error;
    throw error;
  }
}

describe('the CLI ID parser', () => {
  it('on arbitrary argument text returns only strict IDs that the engine also accepts, or a usage error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(idishString, { maxLength: 4 }), async (args) => {
        count('ID argument inputs');
        const out = await idsOrUsageError(() => collectIds({ args, files: [] }));
        if (out instanceof CliUsageError) {
          expect(out.message.length).toBeGreaterThan(0);
          return;
        }
        for (const id of out) {
          expect(id).toMatch(SAFE_ID);
          expect(id).toMatch(ENGINE_ID_PATTERN);
          // Every ID came from the input as a whole token.
          expect(args.some((a) => a.includes(id))).toBe(true);
        }
        expect(new Set(out).size).toBe(out.length);
        expect(parseInstanceIds(out)).toEqual(out);
      }),
      { numRuns: RUNS },
    );
  });

  it('on arbitrary bytes from a file or stdin returns strict IDs or a usage error naming the source, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 64 }),
            idishString.map((s) => Buffer.from(`${s}\n`)),
          ),
          {
            maxLength: 6,
          },
        ),
        async (chunks) => {
          count('ID byte-stream inputs');
          const collector = new IdCollector();
          async function* source() {
            yield* chunks;
          }
          try {
            await readIdStream(collector, source(), 'ids.txt');
            collector.throwIfProblems();
          } catch (error) {
            expect(error).toBeInstanceOf(CliUsageError);
            expect((error as Error).message).toContain('ids.txt');
            return;
          }
          for (const id of collector.ids) expect(id).toMatch(SAFE_ID);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('reads one ID per line regardless of CRLF, a BOM, blank lines and comments', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.stringMatching(/^i-[a-z0-9]{1,20}$/), { minLength: 1, maxLength: 20 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.boolean(),
        async (ids, eol, bom, comments) => {
          count('well-formed ID files');
          const lines = ids.flatMap((id, i) =>
            comments && i % 3 === 0 ? [`# note ${i}`, '', `${id} # ok`] : [id],
          );
          const text = `${bom ? '\ufeff' : ''}${lines.join(eol)}${eol}`;
          const collector = new IdCollector();
          async function* source() {
            yield Buffer.from(text, 'utf8');
          }
          await readIdStream(collector, source(), 'ids.txt');
          collector.throwIfProblems();
          expect(collector.ids).toEqual([...new Set(ids)]);
        },
      ),
      { numRuns: RUNS / 2 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// CLI duration parser

const UNITS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;

describe('the CLI duration parser', () => {
  it('on arbitrary strings returns whole milliseconds in [0, 2^31 - 1] or a usage error naming the flag', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 20 }),
          fc.stringMatching(/^[ 0-9.hms\-+e]{0,12}$/),
          fc.constantFrom(
            '1e3',
            'Infinity',
            'NaN',
            '-1s',
            '0x10',
            '1_000',
            '１s',
            '99999999999h',
            '.5s',
            '5.',
            '1h1h',
          ),
        ),
        (text) => {
          count('duration inputs');
          let ms: number;
          try {
            ms = parseDuration(text, '--timeout');
          } catch (error) {
            expect(error).toBeInstanceOf(CliUsageError);
            expect((error as Error).message).toContain('--timeout');
            return;
          }
          expect(Number.isInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThanOrEqual(MAX_DURATION_MS);
        },
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it('reads every well-formed h/m/s/ms combination as the sum of its parts', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            h: fc.integer({ max: 500, min: 0 }),
            m: fc.integer({ max: 59, min: 0 }),
            s: fc.integer({ max: 59, min: 0 }),
            ms: fc.integer({ max: 999, min: 0 }),
          },
          { requiredKeys: [] },
        ),
        fc.boolean(),
        (parts, padded) => {
          count('well-formed durations');
          const keys = (['h', 'm', 's', 'ms'] as const).filter((k) => parts[k] !== undefined);
          fc.pre(keys.length > 0);
          const text = keys.map((k) => `${parts[k]}${k}`).join('');
          const expected = keys.reduce((sum, k) => sum + parts[k]! * UNITS[k], 0);
          expect(parseDuration(padded ? ` ${text} ` : text, '--timeout')).toBe(expected);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
