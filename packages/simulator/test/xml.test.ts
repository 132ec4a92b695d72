/**
 * `Format=XML`: RPC (V1-signed) requests that ask for XML, or do not say, get the XML of the API
 * pages' samples; `Format=JSON` and V3 requests get JSON. Every XML body is checked by a strict
 * parser that is not ours (fast-xml-parser's validator).
 */
import { createEcsClient } from '@cloud-assistant-gate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type EcsSimulator, type SimulatorOptions, startEcsSimulator } from '../src/index.js';
import { escapeXmlText, jsonToXml } from '../src/xml.js';
import { type CallOptions, call, type RawResponse } from './helpers.js';
import { parseXml } from './xml.js';

const XML_TYPE = 'text/xml;charset=utf-8';
const JSON_TYPE = 'application/json;charset=utf-8';

let sim: EcsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});
async function start(options: SimulatorOptions = {}): Promise<EcsSimulator> {
  sim = await startEcsSimulator({
    speed: 0,
    instances: [{ id: 'i-a' }, { id: 'i-b', onlineAfterMs: null }],
    ...options,
  });
  return sim;
}

function status(s: EcsSimulator, options: CallOptions, params: Record<string, string> = {}) {
  return call(
    s,
    'DescribeCloudAssistantStatus',
    { RegionId: s.region, 'InstanceId.1': 'i-a', 'InstanceId.2': 'i-b', ...params },
    options,
  );
}

interface StatusDoc {
  DescribeCloudAssistantStatusResponse: {
    RequestId: string;
    TotalCount: string;
    PageNumber: string;
    PageSize: string;
    InstanceCloudAssistantStatusSet: {
      InstanceCloudAssistantStatus: {
        InstanceId: string;
        CloudAssistantStatus: string;
        CloudAssistantVersion: string;
        OSType: string;
        SupportSessionManager: string;
      }[];
    };
  };
}

function expectXml(res: RawResponse) {
  expect(res.headers['content-type']).toBe(XML_TYPE);
  expect(res.body.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
  return parseXml(res.body);
}

describe('Format=XML on RPC (V1) requests', () => {
  it.each([
    ['without Format (XML is the default)', null],
    ['with Format=XML', 'XML'],
    ['with Format=xml', 'xml'],
  ] as const)(
    'answers DescribeCloudAssistantStatus %s in the shape of the documented sample',
    async (_, format) => {
      const s = await start();
      const res = await status(s, { scheme: 'V1', format });
      expect(res.status).toBe(200);
      const doc = expectXml(res) as unknown as StatusDoc;
      const root = doc.DescribeCloudAssistantStatusResponse;
      expect(root.RequestId).toBe(res.headers['x-acs-request-id']);
      expect(root.TotalCount).toBe('2');
      // One <InstanceCloudAssistantStatus> per instance, directly under the set element.
      const items = root.InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus;
      expect(items.map((i) => [i.InstanceId, i.CloudAssistantStatus])).toEqual([
        ['i-a', 'true'],
        ['i-b', 'false'],
      ]);
      expect(items[0]).toMatchObject({ OSType: 'Linux', SupportSessionManager: 'true' });
      expect(items[1]!.CloudAssistantVersion).toBe('');
      // The same content as the JSON answer, element for member.
      const json = (await status(s, { scheme: 'V1' })).json<{
        InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: Record<string, unknown>[] };
      }>();
      const asText = json.InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus.map((item) =>
        Object.fromEntries(Object.entries(item).map(([k, v]) => [k, String(v)])),
      );
      expect(items).toEqual(asText);
    },
  );

  it('writes a one-item list as one repeated element, and an empty list as an empty set element', async () => {
    const s = await start();
    const one = await status(s, { scheme: 'V1', format: null }, { 'InstanceId.2': 'i-a' });
    expect(one.body.match(/<InstanceCloudAssistantStatus>/g)).toHaveLength(1);
    expect(one.body).toContain('<InstanceCloudAssistantStatusSet><InstanceCloudAssistantStatus><');
    expect(one.body).toMatch(
      /<InstanceId>i-a<\/InstanceId>.*<\/InstanceCloudAssistantStatus><\/InstanceCloudAssistantStatusSet><\/DescribeCloudAssistantStatusResponse>$/,
    );
    const none = await status(s, { scheme: 'V1', format: null }, { OSType: 'Windows' });
    expectXml(none);
    expect(none.body).toContain('<InstanceCloudAssistantStatusSet></InstanceCloudAssistantStatusSet>');
  });

  it('answers errors as <Error> with RequestId, HostId, Code, Message and Recommend', async () => {
    const s = await start();
    const res = await status(s, { scheme: 'V1', format: null }, { RegionId: 'mars-north-1' });
    expect(res.status).toBe(404);
    const doc = expectXml(res) as { Error: Record<string, string> };
    expect(Object.keys(doc.Error)).toEqual(['RequestId', 'HostId', 'Code', 'Message', 'Recommend']);
    expect(doc.Error).toMatchObject({
      RequestId: res.headers['x-acs-request-id'],
      HostId: 'ecs.aliyuncs.com',
      Code: 'InvalidRegionId.NotFound',
      Message: 'The RegionId provided does not exist in our records.',
    });
    // The Recommend URL has & in it: escaped on the wire, back as & after parsing.
    expect(res.body).toContain('&amp;product=Ecs');
    expect(doc.Error.Recommend).toMatch(
      /^https:\/\/api\.aliyun\.com\/troubleshoot\?q=InvalidRegionId\.NotFound&product=Ecs&requestId=/,
    );
  });

  it('answers a signature error as XML too, escaping the string to sign', async () => {
    const s = await start();
    const res = await status(s, {
      scheme: 'V1',
      format: null,
      credentials: { accessKeyId: s.credentials.accessKeyId, accessKeySecret: 'wrong' },
    });
    expect(res.status).toBe(400);
    const doc = expectXml(res) as { Error: { Code: string; Message: string } };
    expect(doc.Error.Code).toBe('SignatureDoesNotMatch');
    expect(doc.Error.Message).toContain('server string to sign is:POST&%2F&AccessKeyId%3D');
  });

  it('answers throttling as XML with the retry-after header', async () => {
    const s = await start({
      quota: { limits: { DescribeCloudAssistantStatus: 1 }, windowMs: 3_600_000, retryAfter: true },
    });
    expect((await status(s, { scheme: 'V1', format: 'XML' })).status).toBe(200);
    const res = await status(s, { scheme: 'V1', format: 'XML' });
    expect(res.status).toBe(400);
    expect((expectXml(res) as { Error: { Code: string } }).Error.Code).toBe('Throttling.User');
    expect(Number(res.headers['x-acs-retry-after'])).toBeGreaterThan(0);
  });

  it('nests the lists of DescribeInvocations as the documented sample does, and escapes text', async () => {
    const s = await start();
    const content = 'echo "<ok> & done" \u0001';
    const run = await call(
      s,
      'RunCommand',
      {
        RegionId: s.region,
        Type: 'RunShellScript',
        CommandContent: content,
        ContentEncoding: 'PlainText',
        'InstanceId.1': 'i-a',
        'InstanceId.2': 'i-b',
      },
      { scheme: 'V1', format: null },
    );
    const invokeId = (expectXml(run) as { RunCommandResponse: { InvokeId: string } }).RunCommandResponse
      .InvokeId;
    expect(invokeId).toMatch(/^t-/);
    const res = await call(
      s,
      'DescribeInvocations',
      { RegionId: s.region, InvokeId: invokeId, ContentEncoding: 'PlainText' },
      { scheme: 'V1', format: 'XML' },
    );
    const doc = expectXml(res) as {
      DescribeInvocationsResponse: {
        TotalCount: string;
        Invocations: {
          Invocation: {
            InvokeId: string;
            CommandContent: string;
            InvokeInstances: { InvokeInstance: { InstanceId: string; ExitCode?: string }[] };
          };
        };
      };
    };
    const invocation = doc.DescribeInvocationsResponse.Invocations.Invocation;
    expect(invocation.InvokeId).toBe(invokeId);
    // <, > and & come back as sent; U+0001, which XML cannot carry, as U+FFFD.
    expect(invocation.CommandContent).toBe('echo "<ok> & done" \uFFFD');
    expect(invocation.InvokeInstances.InvokeInstance.map((i) => i.InstanceId)).toEqual(['i-a', 'i-b']);
    // A null member (ExitCode of a run that has not finished) is left out.
    expect(invocation.InvokeInstances.InvokeInstance[0]!.ExitCode).toBeUndefined();
  });
});

describe('JSON stays JSON', () => {
  it.each([
    ['V1 with Format=JSON', { scheme: 'V1', format: 'JSON' }],
    ['V1 with Format=json (the TS SDK spelling)', { scheme: 'V1', format: 'json' }],
    ['V3', {}],
    ['V3 with Format=XML in the query (V3 has no Format)', { format: 'XML' }],
  ] as const)('%s gets JSON, success and error', async (_, options) => {
    const s = await start();
    const ok = await status(s, options);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe(JSON_TYPE);
    expect(ok.json()).toHaveProperty('InstanceCloudAssistantStatusSet');
    const bad = await status(s, options, { RegionId: 'mars-north-1' });
    expect(bad.headers['content-type']).toBe(JSON_TYPE);
    expect(bad.json()).toMatchObject({ Code: 'InvalidRegionId.NotFound' });
  });

  it('core in V1 mode asks for JSON (Format=JSON) and reads the answer', async () => {
    const s = await start();
    const client = createEcsClient({
      region: s.region,
      endpoint: s.endpoint,
      credentials: s.credentials,
      signatureVersion: 'v1',
    });
    try {
      const { instances } = await client.describeCloudAssistantStatus({ instanceIds: ['i-a', 'i-b'] });
      expect(instances.map((i) => [i.instanceId, i.cloudAssistantStatus])).toEqual([
        ['i-a', true],
        ['i-b', false],
      ]);
    } finally {
      await client.close();
    }
  });
});

describe('jsonToXml', () => {
  it('maps members to elements, lists to repeated elements, and leaves null out', () => {
    const xml = jsonToXml(
      'Test',
      JSON.stringify({ A: 1, B: true, C: '', D: null, E: { F: [{ G: 'x' }, { G: 'y' }] }, H: [] }),
    );
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><TestResponse><A>1</A><B>true</B><C></C><E><F><G>x</G></F><F><G>y</G></F></E></TestResponse>',
    );
    expect(parseXml(xml)).toBeTruthy();
  });

  it('escapes markup and replaces what XML 1.0 cannot carry', () => {
    expect(escapeXmlText('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
    expect(escapeXmlText('tab\tnl\ncr\r ok')).toBe('tab\tnl\ncr\r ok');
    expect(escapeXmlText('nul\u0000 esc\u001b lone\ud800 pair\ud83d\ude00')).toBe(
      'nul\uFFFD esc\uFFFD lone\uFFFD pair\ud83d\ude00',
    );
    const xml = jsonToXml('T', JSON.stringify({ V: '<\u0000&]]>' }));
    expect((parseXml(xml) as { TResponse: { V: string } }).TResponse.V).toBe('<\uFFFD&]]>');
  });
});
