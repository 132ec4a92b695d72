import { describe, expect, it } from 'vitest';
import { isLoopbackHost, regionHost, resolveEndpoint, validateRegion } from '../src/endpoints.js';

describe('region to endpoint, as the official TS SDK', () => {
  it.each([
    ['cn-hangzhou', 'ecs-cn-hangzhou.aliyuncs.com'],
    ['cn-shanghai-finance-1', 'ecs-cn-hangzhou.aliyuncs.com'],
    ['cn-wuhan', 'ecs.aliyuncs.com'],
    ['cn-zhangbei', 'ecs.aliyuncs.com'],
    ['cn-beijing', 'ecs.cn-beijing.aliyuncs.com'],
    ['ap-southeast-1', 'ecs.ap-southeast-1.aliyuncs.com'],
    ['eu-central-1', 'ecs.eu-central-1.aliyuncs.com'],
  ])('%s → %s', (region, host) => {
    expect(regionHost(region)).toBe(host);
    expect(resolveEndpoint(region, undefined, false)).toEqual({ origin: `https://${host}`, host });
  });
});

describe('region validation', () => {
  it('rejects a malformed region ID naming it', () => {
    expect(() => validateRegion('Hangzhou', false)).toThrow(RangeError);
    expect(() => validateRegion('Hangzhou', false)).toThrow(/"Hangzhou"/);
    expect(() => validateRegion('cn_hangzhou', true)).toThrow(RangeError);
    expect(() => validateRegion(42, false)).toThrow(TypeError);
  });

  it('rejects an unknown well-formed region with close matches and the way out', () => {
    let message = '';
    try {
      validateRegion('cn-hangzou', false);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('"cn-hangzhou"');
    expect(message).toContain('endpoint');
    expect(message).toContain('allowUnknownRegion');
  });

  it('accepts an unknown well-formed region when allowed', () => {
    expect(validateRegion('xx-newplace-9', true)).toBe('xx-newplace-9');
    expect(regionHost('xx-newplace-9')).toBe('ecs.xx-newplace-9.aliyuncs.com');
  });
});

describe('endpoint option', () => {
  it('takes a bare host as HTTPS and a full URL as is', () => {
    expect(resolveEndpoint('cn-hangzhou', 'ecs-vpc.cn-hangzhou.aliyuncs.com', false).origin).toBe(
      'https://ecs-vpc.cn-hangzhou.aliyuncs.com',
    );
    expect(resolveEndpoint('cn-hangzhou', 'http://127.0.0.1:8080', false)).toEqual({
      origin: 'http://127.0.0.1:8080',
      host: '127.0.0.1:8080',
    });
    expect(resolveEndpoint('cn-hangzhou', 'https://h.example/', false).origin).toBe('https://h.example');
  });

  it('allows plain http only to loopback, unless allowInsecureHttp', () => {
    for (const ok of [
      'http://127.0.0.1:1',
      'http://127.8.9.10',
      'http://[::1]:80',
      'http://localhost:3000',
    ]) {
      expect(() => resolveEndpoint('cn-hangzhou', ok, false)).not.toThrow();
    }
    expect(() => resolveEndpoint('cn-hangzhou', 'http://10.0.0.1', false)).toThrow(/allowInsecureHttp/);
    expect(() => resolveEndpoint('cn-hangzhou', 'http://127.example.com', false)).toThrow(RangeError);
    expect(resolveEndpoint('cn-hangzhou', 'http://10.0.0.1', true).origin).toBe('http://10.0.0.1');
  });

  it('rejects other schemes, paths, queries and credentials in the URL', () => {
    for (const bad of ['ftp://h', 'https://h/path', 'https://h/?a=1', 'https://u:p@h', 'http://']) {
      expect(() => resolveEndpoint('cn-hangzhou', bad, false), bad).toThrow(RangeError);
    }
  });

  it('knows loopback hosts', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('127.0.0.1.nip.io')).toBe(false);
  });

  it('takes only literal loopback hosts: 127.0.0.0/8, ::1 and exactly localhost', () => {
    for (const yes of [
      '127.0.0.1',
      '127.255.255.254',
      '127.1.2.3',
      '::1',
      '[::1]',
      'localhost',
      'LocalHost',
    ]) {
      expect(isLoopbackHost(yes), yes).toBe(true);
    }
    for (const no of [
      'foo.localhost',
      'a.b.localhost',
      'localhost.',
      'localhost.example.com',
      'mylocalhost',
      '127.0.0.256',
      '127.0.0',
      '127.0.0.1.',
      '0.0.0.0',
      '::',
      '[::1',
      '::ffff:127.0.0.1',
      '',
    ]) {
      expect(isLoopbackHost(no), no).toBe(false);
    }
  });

  it('refuses plain http to a *.localhost name (the resolver may not map it to 127.0.0.1), before any traffic', () => {
    // resolveEndpoint only parses the URL: nothing is resolved or sent.
    for (const bad of ['http://foo.localhost', 'http://foo.localhost:8080', 'http://a.b.localhost']) {
      expect(() => resolveEndpoint('cn-hangzhou', bad, false), bad).toThrow(/allowInsecureHttp/);
    }
    for (const ok of ['http://LOCALHOST:8080', 'http://127.1:8080', 'http://[0:0:0:0:0:0:0:1]:80']) {
      expect(() => resolveEndpoint('cn-hangzhou', ok, false), ok).not.toThrow();
    }
    expect(resolveEndpoint('cn-hangzhou', 'https://foo.localhost', false).origin).toBe(
      'https://foo.localhost',
    );
    expect(resolveEndpoint('cn-hangzhou', 'http://foo.localhost', true).origin).toBe('http://foo.localhost');
  });
});
