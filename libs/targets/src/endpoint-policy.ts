import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { etcdHosts } from '../../domain/src';
import { loadEnv } from '../../platform/src/config';

/**
 * Which addresses a region endpoint may name, beyond the link-local and metadata addresses
 * every endpoint is refused (service-topology.ts): `SLUICE_TARGET_ALLOW` and
 * `SLUICE_TARGET_DENY`, each a comma-separated list of CIDR ranges (`10.0.0.0/8`,
 * `fd00::/8`), addresses, host names (`etcd.internal`) or host suffixes (`*.internal`). A
 * denied host is refused; with an allow-list set, a host it does not name is refused too. The
 * gateway checks it at registerService, the worker before every call (a topology registered
 * before the lists changed included). Host names are matched as written, not resolved.
 */
export interface EndpointPolicyLists {
  allow: string[];
  deny: string[];
}

/** `address/bits` with bits within the address family's length. */
function validCidr(entry: string): boolean {
  const m = /^([0-9a-f.:]+)\/(\d{1,3})$/i.exec(entry);
  const family = m ? isIP(m[1]) : 0;
  return family !== 0 && Number(m![2]) <= (family === 6 ? 128 : 32);
}

const entrySchema = z
  .string()
  .trim()
  .refine(
    (e) => /^\*\.[a-z0-9.-]+$/i.test(e) || /^[a-z0-9.-]+$/i.test(e) || isIP(e) !== 0 || validCidr(e),
    'must be a CIDR range, an address, a host name or *.suffix',
  );

/** A list from its environment variable: empty entries dropped, each one checked. */
export const endpointListSchema = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== ''),
  )
  .pipe(z.array(entrySchema));

interface Matcher {
  blocks: BlockList;
  names: Set<string>;
  suffixes: string[];
  empty: boolean;
}

function matcher(entries: string[]): Matcher {
  const blocks = new BlockList();
  const names = new Set<string>();
  const suffixes: string[] = [];
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits !== undefined) blocks.addSubnet(address, Number(bits), family);
    else if (isIP(address) !== 0) blocks.addAddress(address, family);
    else if (entry.startsWith('*.')) suffixes.push(entry.slice(1).replace(/\.$/, '').toLowerCase());
    else names.add(entry.replace(/\.$/, '').toLowerCase());
  }
  return { blocks, names, suffixes, empty: entries.length === 0 };
}

function matches(m: Matcher, host: string): boolean {
  const family = isIP(host);
  if (family !== 0) return m.blocks.check(host, family === 6 ? 'ipv6' : 'ipv4');
  return m.names.has(host) || m.suffixes.some((s) => host.endsWith(s));
}

/** The hosts an endpoint names, as the URL parser normalises them (an etcd endpoint's members included). */
export function endpointHosts(endpoint: string): string[] {
  const url = new URL(endpoint);
  let hosts = [url.host];
  if (url.protocol === 'etcd:') hosts = etcdHosts(endpoint);
  else if (url.protocol.startsWith('unleash+')) hosts = [new URL(endpoint.slice('unleash+'.length)).host];
  else if (url.protocol === 'git+file:') return [];
  // a trailing dot names the same host (`vault.internal.` is `vault.internal`)
  return hosts.map((h) =>
    new URL(`http://${h}`).hostname
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '')
      .toLowerCase(),
  );
}

export class EndpointPolicy {
  private readonly allow: Matcher;
  private readonly deny: Matcher;

  constructor(readonly lists: EndpointPolicyLists = { allow: [], deny: [] }) {
    this.allow = matcher(lists.allow);
    this.deny = matcher(lists.deny);
  }

  /** What the lists say against this endpoint, or null when they let it through. */
  problem(endpoint: string): string | null {
    for (const host of endpointHosts(endpoint)) {
      if (matches(this.deny, host)) return `${host} is denied by SLUICE_TARGET_DENY`;
      if (!this.allow.empty && !matches(this.allow, host)) return `${host} is not in SLUICE_TARGET_ALLOW`;
    }
    return null;
  }
}

/** The lists from the environment; a malformed entry stops the process naming its variable. */
export function loadEndpointPolicy(env: NodeJS.ProcessEnv = process.env): EndpointPolicy {
  const c = loadEnv({ SLUICE_TARGET_ALLOW: endpointListSchema, SLUICE_TARGET_DENY: endpointListSchema }, env);
  return new EndpointPolicy({ allow: c.SLUICE_TARGET_ALLOW, deny: c.SLUICE_TARGET_DENY });
}
