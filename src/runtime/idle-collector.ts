/**
 * Part buffers and request chunks become garbage when an upload ends, but V8 collects only when
 * something allocates: a server that goes quiet after a burst of uploads keeps tens of MiB of dead
 * buffers resident until the next request. This runs one full collection a moment after the part
 * buffers of the last upload were released, unless work resumed meanwhile, and at most once per
 * `minIntervalMs`. It does nothing unless node runs with --expose-gc (the start script's flag).
 */
export interface IdleCollector {
  /** The last part buffer was released: collect soon, unless work comes back first. */
  quiet(): void;
  /** Work started again: a pending collection is not needed yet. */
  busy(): void;
}

export interface IdleCollectorOptions {
  readonly delayMs: number;
  readonly minIntervalMs: number;
  /** The collection; default the exposed `gc`, when there is one. */
  readonly collect?: (() => void) | undefined;
}

export function createIdleCollector(options: IdleCollectorOptions): IdleCollector {
  const collect = options.collect ?? exposedGc();
  let timer: NodeJS.Timeout | undefined;
  let lastRun = Number.NEGATIVE_INFINITY;
  const cancel = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    quiet() {
      if (collect === undefined || timer !== undefined) return;
      const wait = Math.max(options.delayMs, lastRun + options.minIntervalMs - Date.now());
      timer = setTimeout(() => {
        timer = undefined;
        lastRun = Date.now();
        collect();
      }, wait).unref();
    },
    busy: cancel,
  };
}

function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? () => void (gc as () => unknown)() : undefined;
}
