import { z } from 'zod';
import { ConfigError } from './load-config.ts';

/** Where the `vod-upload` CLI sends uploads and with which key. */
export interface CliConnection {
  /** The service's GraphQL endpoint, e.g. `http://localhost:4000/graphql`. */
  readonly url: string;
  readonly key: string;
}

export const DEFAULT_INGEST_URL = 'http://localhost:4000';

const httpUrl = z
  .string()
  .trim()
  .url('must be a URL such as http://localhost:4000')
  .refine((value) => /^https?:\/\//i.test(value), 'must start with http:// or https://');

/** The environment variables the CLI reads; flags win over them. */
const CliEnvSchema = z.object({
  VOD_INGEST_URL: httpUrl.optional(),
  VOD_INGEST_KEY: z.string().trim().min(1).optional(),
});

/**
 * The CLI's server and key: `--server`/`--key` first, then `VOD_INGEST_URL`/`VOD_INGEST_KEY`, then
 * the local default URL. Throws a ConfigError naming every problem (bad URL, no key).
 */
export function loadCliConnection(
  env: Readonly<Record<string, string | undefined>>,
  flags: { readonly server?: string | undefined; readonly key?: string | undefined },
): CliConnection {
  const present = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value);
  const parsed = CliEnvSchema.safeParse({
    VOD_INGEST_URL: present(flags.server) ?? present(env['VOD_INGEST_URL']),
    VOD_INGEST_KEY: present(flags.key) ?? present(env['VOD_INGEST_KEY']),
  });
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.') === 'VOD_INGEST_URL' ? '--server / VOD_INGEST_URL' : '--key / VOD_INGEST_KEY';
      problems.push(`${name}: ${issue.message}`);
    }
    throw new ConfigError(problems);
  }
  const key = parsed.data.VOD_INGEST_KEY;
  if (key === undefined) throw new ConfigError(['no API key: pass --key KEY or set VOD_INGEST_KEY']);
  return { url: graphqlEndpoint(parsed.data.VOD_INGEST_URL ?? DEFAULT_INGEST_URL), key };
}

/** `http://host:4000` and `http://host:4000/graphql` both name the GraphQL endpoint. */
export function graphqlEndpoint(serverUrl: string): string {
  const url = new URL(serverUrl);
  if (!/\/graphql\/?$/.test(url.pathname)) url.pathname = `${url.pathname.replace(/\/+$/, '')}/graphql`;
  return url.toString();
}
