// Address parsing, CIDR matching and the `network` configuration: canonical forms only, bad entries named by key path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors/app-error.js';
import { checkPrincipalAddress } from '../src/net/check-principal-address.js';
import { parseCidr } from '../src/net/cidr.js';
import { parseAddress, parsePeerAddress } from '../src/net/ip-address.js';
import { compileNetwork } from '../src/net/network-policy.js';
import { NON_CANONICAL } from './support/addresses.js';


describe('address parsing', () => {
  test('when an address is in a non-canonical form, then it is refused, never reinterpreted', () => {
    for (const text of NON_CANONICAL) assert.equal(parseAddress(text), undefined, JSON.stringify(text));
  });

  test('when an IPv4 address is a plain dotted quad, then it is accepted as written', () => {
    for (const text of ['10.0.0.1', '0.0.0.0', '255.255.255.255', '192.168.100.200']) {
      assert.deepEqual(parseAddress(text)?.text, text);
      assert.equal(parseAddress(text)?.kind, 'ipv4');
    }
  });

  test('when IPv6 is spelt differently, then the canonical texts are equal (RFC 5952, lower case)', () => {
    const forms = ['2001:DB8::1', '2001:db8:0:0::1', '2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::0:1'];
    for (const form of forms) assert.equal(parseAddress(form)?.text, '2001:db8::1', form);
    assert.equal(parseAddress('0:0:0:0:0:0:0:1')?.text, '::1');
  });

  test('when an address is IPv4-mapped IPv6, then it is normalised to IPv4, in hex or dotted spelling', () => {
    for (const form of ['::ffff:10.0.0.1', '::FFFF:10.0.0.1', '0:0:0:0:0:ffff:10.0.0.1', '::ffff:a00:1']) {
      const parsed = parseAddress(form);
      assert.equal(parsed?.kind, 'ipv4', form);
      assert.equal(parsed?.text, '10.0.0.1', form);
    }
  });

  test('when IPv6 has a dotted tail that is not ::ffff:, then it keeps its exact IPv6 value (no remapping)', () => {
    // ipaddr.js alone would turn ::10.0.0.1 into ::ffff:10.0.0.1, i.e. the IPv4 address 10.0.0.1.
    assert.deepEqual(parseAddress('::10.0.0.1'), parseAddress('::a00:1'));
    assert.equal(parseAddress('::10.0.0.1')?.kind, 'ipv6');
    assert.equal(parseAddress('2001:db8::1.2.3.4')?.text, '2001:db8::102:304');
  });

  test('when the socket peer carries a kernel zone id, then the zone is dropped; otherwise peers are as strict', () => {
    assert.equal(parsePeerAddress('fe80::1%eth0')?.text, 'fe80::1');
    assert.equal(parsePeerAddress('::ffff:127.0.0.1')?.text, '127.0.0.1');
    assert.equal(parsePeerAddress('010.0.0.1'), undefined);
    assert.equal(parsePeerAddress(undefined), undefined);
  });
});

describe('CIDR parsing and matching', () => {
  const contains = (cidr: string, address: string) => {
    const parsed = parseCidr(cidr);
    assert.notEqual(typeof parsed, 'string', String(parsed));
    const ip = parseAddress(address);
    assert.ok(ip, address);
    return compileNetwork({ trustedProxies: [], allow: [cidr], zones: {}, clients: {}, scopes: {} }).allow.contains(ip);
  };

  test('when a CIDR is well formed, then membership follows the prefix for IPv4 and IPv6', () => {
    assert.equal(contains('10.0.0.0/8', '10.255.1.2'), true);
    assert.equal(contains('10.0.0.0/8', '11.0.0.1'), false);
    assert.equal(contains('2001:db8::/32', '2001:DB8:ffff::1'), true);
    assert.equal(contains('2001:db8::/32', '2001:db9::1'), false);
    assert.equal(contains('192.168.1.7', '192.168.1.7'), true);
    assert.equal(contains('192.168.1.7', '192.168.1.8'), false);
  });

  test('when an IPv4-mapped address is checked against an IPv4 CIDR, then it matches as IPv4', () => {
    assert.equal(contains('10.0.0.0/8', '::ffff:10.1.2.3'), true);
    // ...and an IPv6 range never matches an IPv4 address or the reverse.
    assert.equal(contains('::/0', '10.0.0.1'), false);
    assert.equal(contains('0.0.0.0/0', '::1'), false);
  });

  test('when a CIDR is malformed, then parseCidr says why', () => {
    assert.match(String(parseCidr('10.1.2.3/8')), /host bits set; did you mean 10\.0\.0\.0\/8\?/);
    assert.match(String(parseCidr('010.0.0.0/8')), /not a canonical address/);
    assert.match(String(parseCidr('10.0.0.0/33')), /prefix length above 32/);
    assert.match(String(parseCidr('10.0.0.0/08')), /invalid prefix length/);
    assert.match(String(parseCidr('10.0.0.0/')), /invalid prefix length/);
    assert.match(String(parseCidr('::ffff:10.0.0.0/104')), /IPv4-mapped/);
    assert.match(String(parseCidr('2001:db8::/129')), /prefix length above 128/);
  });
});

describe('network configuration', () => {
  const load = (network: unknown) =>
    loadConfig({
      raw: { spec: 'openapi/erp.yaml', sources: { erp: { client: 'pglite', connection: 'memory://' } }, network },
      env: {},
    });

  const problemsOf = (network: unknown): readonly string[] => {
    try {
      load(network);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    assert.fail('expected a ConfigError');
  };

  test('when network is not configured, then no proxy is trusted and only loopback is allowed', () => {
    const config = load(undefined);
    assert.deepEqual(config.network.trustedProxies, []);
    assert.deepEqual(config.network.allow, ['127.0.0.0/8', '::1/128']);
    const policy = compileNetwork(config.network);
    assert.equal(policy.allow.contains(parseAddress('127.0.0.1')!), true);
    assert.equal(policy.allow.contains(parseAddress('::1')!), true);
    assert.equal(policy.allow.contains(parseAddress('10.0.0.1')!), false);
  });

  test('when trustedProxies would trust everything, then loading refuses with a clear message', () => {
    for (const everything of ['0.0.0.0/0', '::/0', '0:0::/0']) {
      const problems = problemsOf({ trustedProxies: ['10.0.0.0/8', everything] });
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0]!, /^network\.trustedProxies: .* would let every peer choose its own address through X-Forwarded-For/);
    }
    // Through a zone too.
    const viaZone = problemsOf({ zones: { internet: ['0.0.0.0/0'] }, trustedProxies: ['internet'] });
    assert.match(viaZone.join('\n'), /network\.trustedProxies: 0\.0\.0\.0\/0 would let every peer/);
  });

  test('when CIDRs or zone names are bad, then every one is reported with its key path', () => {
    const problems = problemsOf({
      trustedProxies: ['10.0.0.1:8080'],
      allow: ['127.0.0.0/8', '010.0.0.0/8'],
      zones: { 'cloud-vpn': ['10.20.0.0/16', '10.20.0.1/16'], onprem: ['192.168.0.0/16', 'dmz'] },
      clients: { 'billing-app': ['cloud-vpm'] },
      scopes: { 'customers:read': ['onprem', '1.2.3'] },
    });
    assert.deepEqual(problems, [
      'network.zones.cloud-vpn[1]: "10.20.0.1/16" has host bits set; did you mean 10.20.0.0/16?',
      'network.zones.onprem[1]: "dmz" is a name, but zones hold CIDRs only',
      'network.trustedProxies[0]: "10.0.0.1:8080" is not a canonical address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)',
      'network.allow[1]: "010.0.0.0/8" is not a canonical address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)',
      'network.clients.billing-app[0]: unknown zone "cloud-vpm" (did you mean "cloud-vpn"?)',
      'network.scopes."customers:read"[1]: "1.2.3" is not a canonical address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)',
    ]);
  });

  test('when zones overlap, then an address belongs to the most specific one', () => {
    const policy = compileNetwork(
      load({ zones: { onprem: ['10.0.0.0/8'], 'cloud-vpn': ['10.20.0.0/16'] }, allow: ['onprem'] }).network,
    );
    assert.equal(policy.zoneOf(parseAddress('10.20.3.4')!), 'cloud-vpn');
    assert.equal(policy.zoneOf(parseAddress('10.1.3.4')!), 'onprem');
    assert.equal(policy.zoneOf(parseAddress('192.168.1.1')!), undefined);
    assert.equal(policy.allow.contains(parseAddress('10.20.3.4')!), true);
  });
});

describe('per-client and per-scope allowlists', () => {
  const policy = compileNetwork({
    trustedProxies: [],
    allow: ['0.0.0.0/0'],
    zones: { onprem: ['192.168.0.0/16'], 'cloud-vpn': ['10.20.0.0/16'] },
    clients: { 'billing-app': ['cloud-vpn'] },
    scopes: { 'audit:read': ['onprem'], 'customers:write': ['onprem', '10.20.5.0/24'] },
  });
  const from = (ip: string) => ({ ip, forwardedFor: [], zone: undefined });
  const principal = (clientId: string | undefined, scopes: string[]) => ({ clientId, scopes: new Set(scopes) });

  test('when a client with a list calls from inside it, then it passes; from outside, then ip_not_allowed', () => {
    assert.equal(checkPrincipalAddress(policy, from('10.20.1.1'), principal('billing-app', ['customers:read'])), undefined);
    const denied = checkPrincipalAddress(policy, from('192.168.1.1'), principal('billing-app', ['customers:read']));
    assert.equal(denied?.code, 'ip_not_allowed');
    assert.equal(denied?.status, 403);
    assert.equal(denied?.cause, 'network.clients.billing-app');
  });

  test('when a token holds a restricted scope, then every such scope must allow the address', () => {
    assert.equal(checkPrincipalAddress(policy, from('192.168.1.1'), principal('x', ['audit:read', 'customers:read'])), undefined);
    assert.equal(
      checkPrincipalAddress(policy, from('10.20.1.1'), principal('x', ['audit:read', 'customers:read']))?.cause,
      'network.scopes.audit:read',
    );
    // customers:write allows 10.20.5.0/24, audit:read does not: the token is refused there.
    assert.equal(checkPrincipalAddress(policy, from('10.20.5.9'), principal('x', ['customers:write'])), undefined);
    assert.equal(
      checkPrincipalAddress(policy, from('10.20.5.9'), principal('x', ['customers:write', 'audit:read']))?.cause,
      'network.scopes.audit:read',
    );
  });

  test('when neither the client nor its scopes have a list, then the address is not restricted further', () => {
    assert.equal(checkPrincipalAddress(policy, from('8.8.8.8'), principal('other', ['customers:read'])), undefined);
    assert.equal(checkPrincipalAddress(policy, from('8.8.8.8'), principal(undefined, [])), undefined);
  });

  test('when the client address is unknown or unparsable, then the principal is denied', () => {
    assert.equal(checkPrincipalAddress(policy, undefined, principal('other', []))?.code, 'ip_not_allowed');
    assert.equal(checkPrincipalAddress(policy, from('010.0.0.1'), principal('other', []))?.code, 'ip_not_allowed');
  });
});
