/** The part of negotiator 1.x (content negotiation per RFC 9110, q-values included) this service uses. */
declare module 'negotiator' {
  import type { IncomingHttpHeaders } from 'node:http';

  namespace Negotiator {
    interface Options {
      /** Tie-break between encodings of the same quality, most wanted first. */
      preferred?: readonly string[];
    }
  }

  class Negotiator {
    constructor(request: { headers: IncomingHttpHeaders });
    /** The client's most preferred of `available`; undefined when it accepts none of them. */
    encoding(available?: readonly string[], options?: Negotiator.Options): string | undefined;
    encodings(available?: readonly string[], options?: Negotiator.Options): string[];
  }

  export = Negotiator;
}
