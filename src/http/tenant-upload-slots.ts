/**
 * How many uploads each tenant runs in this process, with a ceiling: a tenant at its ceiling is
 * refused before anything of its request is read or stored, so one tenant cannot take every
 * connection, every part buffer and every storage slot of an instance.
 */
export class TenantUploadSlots {
  readonly #running = new Map<string, number>();

  constructor(readonly maxPerTenant: number) {
    if (!Number.isInteger(maxPerTenant) || maxPerTenant < 1) throw new RangeError('maxPerTenant must be a positive integer');
  }

  /** A slot for one upload, or undefined when the tenant is at its ceiling. Call the returned function once, when done. */
  tryAcquire(tenantId: string): (() => void) | undefined {
    const running = this.#running.get(tenantId) ?? 0;
    if (running >= this.maxPerTenant) return undefined;
    this.#running.set(tenantId, running + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#running.get(tenantId) ?? 1) - 1;
      if (left <= 0) this.#running.delete(tenantId);
      else this.#running.set(tenantId, left);
    };
  }

  running(tenantId: string): number {
    return this.#running.get(tenantId) ?? 0;
  }
}
