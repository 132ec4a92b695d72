import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEcsClient, type EcsClientOptions } from '../src/index.js';
import { type Handler, json, STS_CREDENTIALS, startServer, type TestServer, text } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

/** Everything a server could echo back: the full request target and the Authorization header. */
const echoes = (req: { url: string; headers: Record<string, string> }) =>
  `server string to sign is:POST&%2F&${encodeURIComponent(req.url.slice(2))} auth=${req.headers.authorization ?? ''} token=${req.headers['x-acs-security-token'] ?? ''}`;

const failures: [string, Handler][] = [
  [
    'SignatureDoesNotMatch echoing the request',
    (req, res) =>
      json(400, { RequestId: 'r', Code: 'SignatureDoesNotMatch', Message: echoes(req) })(req, res),
  ],
  ['an HTML 502 echoing the request', (req, res) => text(502, `<html>${echoes(req)}</html>`)(req, res)],
  [
    'a 200 with a bad body',
    json(200, { RequestId: 'r', InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: [{}] } }),
  ],
  [
    'a connection reset',
    (_req, res) => {
      res.socket?.destroy();
    },
  ],
  ['a hang until the timeout', () => {}],
];

describe('no secret, token or signature leaks', () => {
  for (const signatureVersion of ['v3', 'v1'] as const) {
    it.each(failures)(
      `keeps %s out of ${signatureVersion} errors, their inspection and JSON`,
      async (_name, handler) => {
        server.requests.length = 0;
        server.handle(handler);
        const options: EcsClientOptions = {
          region: 'cn-hangzhou',
          endpoint: server.url,
          credentials: STS_CREDENTIALS,
          signatureVersion,
          timeoutMs: 200,
          retry: false,
        };
        const client = createEcsClient(options);
        const error = await client.describeCloudAssistantStatus({ instanceIds: ['i-1'] }).catch((e) => e);
        await client.close();
        const req = server.requests[0]!;
        const signature =
          signatureVersion === 'v3'
            ? /Signature=([0-9a-f]+)/.exec(req.headers.authorization ?? '')![1]!
            : req.params.Signature!;
        const shown = [
          String(error),
          error.message,
          error.stack,
          inspect(error, { depth: 10, showHidden: true }),
          JSON.stringify(error),
          inspect(client, { depth: 10, showHidden: true }),
          JSON.stringify(client),
          inspect(options.credentials === undefined ? {} : client, { depth: 10 }),
        ].join('\n');
        for (const secret of [
          STS_CREDENTIALS.accessKeySecret,
          STS_CREDENTIALS.securityToken,
          signature,
          encodeURIComponent(signature),
        ]) {
          expect(shown).not.toContain(secret);
        }
      },
    );
  }
});
