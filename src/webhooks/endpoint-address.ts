import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { VodError } from '../errors/vod-error.ts';

/** One address a name resolves to (as dns.lookup with `all: true` gives them). */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to every address it has. Injected so tests never ask a real resolver. */
export type ResolveAll = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolveAll: ResolveAll = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

export interface AddressPolicy {
  /** Loopback, private, link-local, unique-local and CGNAT addresses allowed (development, tests). */
  readonly allowPrivateNetworks: boolean;
  readonly resolveAll: ResolveAll;
}

/** An endpoint URL whose host was resolved and every address checked: connect only to `addresses`. */
export interface CheckedEndpoint {
  readonly url: URL;
  readonly addresses: readonly ResolvedAddress[];
}

/** ipaddr.js ranges an endpoint may use only with WEBHOOK_ALLOW_PRIVATE_NETWORKS on. */
const PRIVATE_RANGES = new Set(['loopback', 'private', 'linkLocal', 'uniqueLocal', 'carrierGradeNat']);
const MAX_URL_LENGTH = 2048;

/**
 * The URL as the WHATWG parser normalises it (so 2130706433, 0177.0.0.1 and 0x7f.1 all become
 * 127.0.0.1), checked for shape: http(s), a host, no credentials. Throws InvalidParameter.
 */
export function parseEndpointUrl(text: string): URL {
  if (text.length > MAX_URL_LENGTH) throw invalid(`The endpoint URL is longer than ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('The endpoint URL is not a valid absolute URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('The endpoint URL must use https:// (or http:// for an allowed private address).');
  if (url.username !== '' || url.password !== '') throw invalid('The endpoint URL must not carry credentials.');
  if (url.hostname === '') throw invalid('The endpoint URL has no host.');
  url.hash = '';
  return url;
}

/**
 * Resolves the URL's host and checks EVERY address it has: loopback, private (10/8, 172.16/12,
 * 192.168/16), CGNAT (100.64/10), link-local (169.254/16 with the cloud metadata address, fe80::/10)
 * and unique-local (fc00::/7) only with private networks allowed; unspecified, multicast, broadcast
 * and every other reserved range never. IPv4-mapped IPv6 is judged as the IPv4 address it carries.
 * Plain http:// only when every address is an allowed private one. Throws InvalidParameter.
 */
export async function checkEndpoint(url: URL, policy: AddressPolicy): Promise<CheckedEndpoint> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const addresses = ipaddr.isValid(host) ? [literalAddress(host)] : await resolve(host, policy.resolveAll);
  if (addresses.length === 0) throw invalid(`The endpoint host ${host} has no address.`);
  let allPrivate = true;
  for (const { address } of addresses) {
    const range = ipaddr.process(address).range();
    if (range === 'unicast') {
      allPrivate = false;
      continue;
    }
    if (!PRIVATE_RANGES.has(range)) throw invalid(`The endpoint host ${host} resolves to ${address}, a ${range} address, where no webhook can go.`);
    if (!policy.allowPrivateNetworks) {
      throw invalid(`The endpoint host ${host} resolves to ${address}, a ${range} address; set WEBHOOK_ALLOW_PRIVATE_NETWORKS to allow it.`);
    }
  }
  if (url.protocol === 'http:' && !allPrivate) throw invalid('A public endpoint must use https://.');
  return { url, addresses };
}

function literalAddress(host: string): ResolvedAddress {
  const parsed = ipaddr.parse(host);
  return { address: parsed.toString(), family: parsed.kind() === 'ipv6' ? 6 : 4 };
}

async function resolve(host: string, resolveAll: ResolveAll): Promise<readonly ResolvedAddress[]> {
  try {
    return await resolveAll(host);
  } catch {
    throw invalid(`The endpoint host ${host} does not resolve.`);
  }
}

function invalid(message: string): VodError {
  return new VodError('InvalidParameter', message);
}
