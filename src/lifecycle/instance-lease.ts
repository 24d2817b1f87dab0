import type { InstanceLeaseRepository } from '../db/instance-lease-repository.ts';
import type { Logger } from '../logging/logger.ts';

export interface InstanceLeaseOptions {
  readonly instanceId: string;
  readonly leases: InstanceLeaseRepository;
  readonly ttlMs: number;
  /** Renewal period; also how often peers' expired leases are looked for. */
  readonly heartbeatMs: number;
  /** One sweep of expired peers' uploads and of due storage leftovers. */
  readonly sweep: () => Promise<unknown>;
  readonly logger: Logger;
}

/**
 * This instance's lease: taken before the instance serves, renewed every heartbeat, released at a
 * clean stop. On the same beat, sweeps what dead peers left. Renewal and sweep run on separate
 * chains, so a slow sweep (storage calls) never delays a renewal; neither overlaps itself.
 */
export class InstanceLease {
  #renewTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> = Promise.resolve();
  #sweeping: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(private readonly options: InstanceLeaseOptions) {}

  /** Takes the lease (a failure here stops start-up) and starts the beat. */
  async start(): Promise<void> {
    await this.options.leases.renew(this.options.instanceId, this.options.ttlMs);
    this.#renewTimer = setInterval(() => this.renew(), this.options.heartbeatMs);
    this.#sweepTimer = setInterval(() => this.sweep(), this.options.heartbeatMs);
    this.sweep();
  }

  /** Stops the beat and releases the lease; call once this instance has nothing in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#renewTimer);
    clearInterval(this.#sweepTimer);
    await Promise.all([this.#renewing, this.#sweeping]);
    await this.options.leases.release(this.options.instanceId);
  }

  private renew(): void {
    this.#renewing = this.#renewing.then(async () => {
      if (this.#stopped) return;
      try {
        await this.options.leases.renew(this.options.instanceId, this.options.ttlMs);
      } catch (error) {
        this.options.logger.warn({ err: error }, 'could not renew the instance lease');
      }
    });
  }

  private sweep(): void {
    this.#sweeping = this.#sweeping.then(async () => {
      if (this.#stopped) return;
      try {
        await this.options.sweep();
        await this.options.leases.forgetSwept();
      } catch (error) {
        this.options.logger.warn({ err: error }, 'sweep of dead instances failed');
      }
    });
  }
}
