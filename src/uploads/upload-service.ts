import type { UploadRecord } from '../domain/upload-record.ts';
import { Admission } from './admission.ts';
import { CancelFanout } from './cancel-fanout.ts';
import { startNewUpload, type UploadMediaRequest } from './new-upload.ts';
import { sweepExpiredPauses } from './pause-sweep.ts';
import { PausedDigests } from './paused-digests.ts';
import { ResumeRun, type ResumeMediaRequest } from './resume-run.ts';
import type { UploadServiceDependencies } from './service-dependencies.ts';
import { UploadEndings } from './upload-endings.ts';
import { UploadRunner } from './upload-runner.ts';

export type { UploadServiceDependencies } from './service-dependencies.ts';
export type { UploadMediaRequest } from './new-upload.ts';
export type { ResumeMediaRequest } from './resume-run.ts';

/**
 * Runs uploads end to end: record, pipeline, progress, terminal status. The parts, each in a file
 * of its own: the door that admits and drains work (Admission), a new upload's start (new-upload),
 * a resume's claim (ResumeRun), the run itself (UploadRunner) and its endings (UploadEndings),
 * cancel across instances (CancelFanout), and the sweep of expired pauses (pause-sweep).
 */
export class UploadService {
  readonly #admission = new Admission();
  readonly #cancels: CancelFanout;
  readonly #runner: UploadRunner;
  readonly #resumes: ResumeRun;

  constructor(private readonly deps: UploadServiceDependencies) {
    /** SHA-256 states of uploads this process paused: a resume here continues them (no read-back). */
    const pausedDigests = new PausedDigests();
    const endings = new UploadEndings(deps, pausedDigests);
    this.#cancels = new CancelFanout(deps);
    this.#runner = new UploadRunner(deps, endings, this.#cancels);
    this.#resumes = new ResumeRun(deps, this.#runner, endings, pausedDigests);
  }

  /** Uploads and returns the SUCCEEDED record; throws a VodError (with uploadId where a record exists). */
  upload(request: UploadMediaRequest): Promise<UploadRecord> {
    return this.#admission.admit(request, (control) => startNewUpload(request, control, this.deps, this.#runner));
  }

  /**
   * Continues a PAUSED upload (on any instance): claims it atomically at the offset it paused at,
   * then uploads the rest of the media and the cover and commits. A wrong offset, an upload that is
   * not PAUSED or whose window ended is refused with its own code, and nothing changes.
   */
  resume(request: ResumeMediaRequest): Promise<UploadRecord> {
    return this.#admission.admit(request, (control) => this.#resumes.start(request, control));
  }

  /** Cancels an in-flight or paused upload (on whichever instance runs it) and returns its record once settled. */
  cancel(tenantId: string, id: string): Promise<UploadRecord> {
    return this.#cancels.cancel(tenantId, id);
  }

  /** Uploads admitted and not yet answered. */
  get inFlight(): number {
    return this.#admission.inFlight;
  }

  /**
   * Graceful shutdown: takes no new upload from now on, gives those in flight up to `graceMs` to
   * finish, then interrupts the rest: one that can be resumed is PAUSED (its parts in flight finish
   * first; its client is answered `Interrupted` and resumes elsewhere), the others end as
   * `interruptionOutcome('shutdown')` decides (each records its end, tells its subscribers, answers
   * its client and removes what it stored). Resolves once every admitted upload has answered (or a
   * bounded wait for that ran out).
   */
  drain(graceMs: number, options: { readonly hurry?: AbortSignal } = {}): Promise<{ finished: number; interrupted: number }> {
    return this.#admission.drain(graceMs, options);
  }

  /** Fails every PAUSED upload whose window ended (ResumeExpired); safe on every instance at once. */
  sweepExpiredPauses(now: Date = new Date()): Promise<number> {
    return sweepExpiredPauses(this.deps, now);
  }
}
