/** Splits an endpoint override such as `http://127.0.0.1:9000` into its host (with port) and scheme. */
export function parseEndpoint(url: string): { readonly host: string; readonly scheme: 'http' | 'https' } {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new RangeError(`Endpoint ${url} must be an http:// or https:// URL.`);
  }
  return { host: parsed.host, scheme: parsed.protocol === 'http:' ? 'http' : 'https' };
}
