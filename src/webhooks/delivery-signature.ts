import { Webhook } from 'standardwebhooks';

/**
 * The Standard Webhooks headers of one attempt, signed by the standardwebhooks library with every
 * secret given (during a rotation's overlap the new and the previous one: the spec's space-separated
 * list of signatures, any of which a receiver may verify).
 */
export function signedHeaders(messageId: string, secrets: readonly string[], body: string, at: Date): Record<string, string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(messageId, at, body));
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
