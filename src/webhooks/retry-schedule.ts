/** Jitter: a retry waits its scheduled delay times a random factor in [1 - JITTER, 1 + JITTER). */
const JITTER = 0.2;

/**
 * How long after failed attempt number `attempt` (1-based) the next one runs, with jitter so
 * deliveries that failed together do not retry together; undefined once every retry is spent.
 */
export function retryDelayMs(attempt: number, delaysMs: readonly number[], random: () => number = Math.random): number | undefined {
  const base = delaysMs[attempt - 1];
  if (base === undefined) return undefined;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}
