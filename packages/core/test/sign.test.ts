import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signatureVectors, vectorTime } from '../../../test/fixtures/vectors.js';
import {
  buildV1Params,
  buildV3Headers,
  canonicalQueryString,
  EMPTY_BODY_SHA256,
  percentEncode,
  sha256Hex,
  signV1,
  signV3,
} from '../src/sign.js';

const v3 = signatureVectors.filter((v) => v.signatureScheme === 'ACS3-HMAC-SHA256');
const v1 = signatureVectors.filter((v) => v.signatureScheme === 'V1-HMAC-SHA1');

describe('signature vectors from the official SDKs', () => {
  it('has all 16 vectors, both schemes', () => {
    expect(signatureVectors).toHaveLength(16);
    expect(v3.length).toBeGreaterThan(0);
    expect(v1.length).toBeGreaterThan(0);
  });

  it.each(v3.map((v) => [v.name, v] as const))('reproduces V3 vector %s exactly', (_name, v) => {
    const headers = { ...v.headers };
    delete headers['content-length'];
    const signed = signV3({
      method: v.method,
      path: v.path,
      query: v.query,
      headers,
      credentials: { accessKeyId: v.accessKeyId, accessKeySecret: v.accessKeySecret },
    });
    expect(signed.signedHeaders).toBe(v.signedHeaders);
    expect(signed.canonicalRequest).toBe(v.canonicalRequest);
    expect(signed.stringToSign).toBe(v.stringToSign);
    expect(signed.signature).toBe(v.expectedSignature);
    expect(signed.authorization).toBe(v.expectedAuthorization);
    expect(canonicalQueryString(v.query)).toBe(v.canonicalQueryString);
    expect(sha256Hex(v.body)).toBe(v.headers['x-acs-content-sha256']);
  });

  it.each(v3.map((v) => [v.name, v] as const))('builds the same V3 headers as the SDK for %s', (_name, v) => {
    const extra: Record<string, string> = {};
    for (const [k, value] of Object.entries(v.headers)) {
      if (k.startsWith('x-acs-retry-')) extra[k] = value;
    }
    const headers = buildV3Headers({
      host: v.headers.host!,
      action: v.headers['x-acs-action']!,
      version: v.headers['x-acs-version']!,
      params: v.query,
      date: vectorTime(v),
      nonce: v.headers['x-acs-signature-nonce']!,
      credentials: {
        accessKeyId: v.accessKeyId,
        accessKeySecret: v.accessKeySecret,
        securityToken: v.securityToken,
      },
      credentialsProvider: v.headers['x-acs-credentials-provider'],
      extraHeaders: extra,
    });
    expect(headers.authorization).toBe(v.expectedAuthorization);
  });

  it.each(v1.map((v) => [v.name, v] as const))('reproduces V1 vector %s exactly', (_name, v) => {
    const params = v.signedParams!;
    const signed = signV1(v.method, params, v.accessKeySecret);
    expect(signed.canonicalQueryString).toBe(v.canonicalQueryString);
    expect(signed.stringToSign).toBe(v.stringToSign);
    expect(signed.signature).toBe(v.expectedSignature);
  });

  it.each(v1.map((v) => [v.name, v] as const))(
    'builds the same V1 parameters as the SDK for %s',
    (_name, v) => {
      const p = v.signedParams!;
      const {
        Action,
        Version,
        Format,
        AccessKeyId,
        SignatureMethod,
        SignatureVersion,
        SignatureNonce,
        Timestamp,
        SecurityToken,
        ...rest
      } = p;
      const built = buildV1Params({
        method: v.method,
        action: Action!,
        version: Version!,
        format: Format!,
        params: rest,
        date: new Date(Timestamp!),
        nonce: SignatureNonce!,
        credentials: {
          accessKeyId: AccessKeyId!,
          accessKeySecret: v.accessKeySecret,
          securityToken: SecurityToken,
        },
      });
      expect(built.Signature).toBe(v.expectedSignature);
    },
  );

  it('reproduces the documented V1 example (testid/testsecret, DescribeRegions)', () => {
    const signed = signV1(
      'GET',
      {
        AccessKeyId: 'testid',
        Action: 'DescribeRegions',
        Format: 'XML',
        SignatureMethod: 'HMAC-SHA1',
        SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
        SignatureVersion: '1.0',
        Timestamp: '2016-02-23T12:46:24Z',
        Version: '2014-05-26',
      },
      'testsecret',
    );
    expect(signed.signature).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });
});

/** An independent encoder: UTF-8 bytes, unreserved kept, the rest %XX. */
function referenceEncode(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

describe('canonicalisation', () => {
  it('percent-encodes any Unicode string like an independent byte-wise encoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(percentEncode(s)).toBe(referenceEncode(s));
      }),
      { numRuns: 500 },
    );
  });

  it('encodes lone surrogates as U+FFFD instead of throwing', () => {
    expect(percentEncode('a\uD800b')).toBe('a%EF%BF%BDb');
  });

  it('produces the same canonical query whatever the parameter order', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' })),
        (params) => {
          const reversed = Object.fromEntries(Object.entries(params).reverse());
          expect(canonicalQueryString(reversed)).toBe(canonicalQueryString(params));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hashes an empty body to the constant the SDK sends', () => {
    expect(sha256Hex('')).toBe(EMPTY_BODY_SHA256);
  });
});
