import { ResponseHolds, type HeldOperation, type ResponseHold } from './response-holds.ts';

/**
 * Fault injection for tests. Part failures and resets apply to COS UploadPart requests (and to
 * PutObject when `includePutObject` is set); delays to every VOD/COS request; VOD errors to the next
 * matching VOD API call.
 */

export interface VodErrorFault {
  /** Error code to answer with, e.g. `InternalError` or `InvalidParameterValue.MediaType`. */
  readonly code: string;
  readonly message?: string | undefined;
  /** Only this action (e.g. `CommitUpload`); any action when absent. */
  readonly action?: string | undefined;
}

export interface ProcedureFault {
  /** VOD error code the task ends with (its ErrCodeExt), e.g. `InternalError`. */
  readonly code: string;
  readonly message?: string | undefined;
  /** Only a task flow of this name; any when absent. */
  readonly procedure?: string | undefined;
}

export interface FaultOptions {
  /** Share (0..1) of UploadPart requests answered with `failStatus`. */
  failPartRate?: number;
  /** Part numbers whose uploads are answered with `failStatus`. */
  failPartNumbers?: number[];
  /** 500 or 503 (default 503). */
  failStatus?: 500 | 503;
  /** At most this many injected part failures in total (default unlimited). */
  failTimes?: number;
  /** Share (0..1) of UploadPart requests whose connection is destroyed mid-body. */
  resetPartRate?: number;
  /** Part numbers whose upload connections are destroyed mid-body. */
  resetPartNumbers?: number[];
  /** Bytes of the body read before the socket is destroyed (default 65536). */
  resetAfterBytes?: number;
  /** At most this many injected resets in total (default unlimited). */
  resetTimes?: number;
  /** Apply part failures/resets to PutObject too (its "part number" is 1). */
  includePutObject?: boolean;
  /** Delay every VOD and COS response by this many milliseconds. */
  delayMs?: number;
  /** Queue of errors for the next VOD calls, consumed in order by the first matching call. */
  vodErrors?: VodErrorFault[];
  /** Queue of failures for the next procedure tasks, consumed in order by the first matching task. */
  failProcedure?: ProcedureFault[];
  /** Every event is queued twice (VOD delivers at least once). */
  duplicateEvents?: boolean;
  /** Events become pullable only this many milliseconds after they happen. */
  delayEventsMs?: number;
}

export type PartFault = { readonly kind: 'fail'; readonly status: 500 | 503 } | { readonly kind: 'reset'; readonly afterBytes: number };

export interface FaultController {
  /** Replaces the whole fault configuration. */
  set(options: FaultOptions): void;
  /** Merges into the current configuration. */
  update(options: FaultOptions): void;
  clear(): void;
  /** Queues a failure for the next procedure task (of the task flow `procedure`, when given). */
  failNextProcedure(code: string, options?: { procedure?: string; message?: string }): void;
  /** Queues an error for the next VOD call (of `action`, when given). */
  failNextVod(code: string, options?: { action?: string; message?: string }): void;
  /** Carries out the next `operation` in full but keeps its answer back until released (crash tests). */
  holdResponse(operation: HeldOperation): ResponseHold;
  /** Carries out the next `operation` in full, then drops the connection instead of answering: the answer is lost. */
  dropResponse(operation: HeldOperation): void;
  get(): FaultOptions;
}

export class Faults implements FaultController {
  private options: FaultOptions = {};
  private failuresInjected = 0;
  private resetsInjected = 0;
  readonly holds = new ResponseHolds();

  constructor(initial?: FaultOptions, private readonly random: () => number = Math.random) {
    if (initial !== undefined) this.set(initial);
  }

  set(options: FaultOptions): void {
    this.options = { ...options, vodErrors: [...(options.vodErrors ?? [])], failProcedure: [...(options.failProcedure ?? [])] };
    this.failuresInjected = 0;
    this.resetsInjected = 0;
  }

  update(options: FaultOptions): void {
    const vodErrors = [...(this.options.vodErrors ?? []), ...(options.vodErrors ?? [])];
    const failProcedure = [...(this.options.failProcedure ?? []), ...(options.failProcedure ?? [])];
    this.options = { ...this.options, ...options, vodErrors, failProcedure };
  }

  clear(): void {
    this.set({});
    this.holds.clear();
  }

  holdResponse(operation: HeldOperation): ResponseHold {
    return this.holds.hold(operation);
  }

  dropResponse(operation: HeldOperation): void {
    this.holds.hold(operation, { drop: true }).release();
  }

  failNextVod(code: string, options: { action?: string; message?: string } = {}): void {
    (this.options.vodErrors ??= []).push({ code, action: options.action, message: options.message });
  }

  failNextProcedure(code: string, options: { procedure?: string; message?: string } = {}): void {
    (this.options.failProcedure ??= []).push({ code, procedure: options.procedure, message: options.message });
  }

  get(): FaultOptions {
    return { ...this.options, vodErrors: [...(this.options.vodErrors ?? [])], failProcedure: [...(this.options.failProcedure ?? [])] };
  }

  /** Takes the first queued procedure failure that applies to the task flow `procedure`, if any. */
  takeProcedureFailure(procedure: string): ProcedureFault | undefined {
    const queue = this.options.failProcedure ?? [];
    const i = queue.findIndex((f) => f.procedure === undefined || f.procedure === procedure);
    if (i < 0) return undefined;
    return queue.splice(i, 1)[0];
  }

  /** How each event is queued: copies (duplicateEvents) and delay (delayEventsMs). */
  get eventDelivery(): { copies: number; delayMs: number } {
    return { copies: this.options.duplicateEvents === true ? 2 : 1, delayMs: Math.max(0, this.options.delayEventsMs ?? 0) };
  }

  get delayMs(): number {
    return Math.max(0, this.options.delayMs ?? 0);
  }

  /** Takes the first queued VOD error that applies to `action`, if any. */
  takeVodError(action: string): VodErrorFault | undefined {
    const queue = this.options.vodErrors ?? [];
    const i = queue.findIndex((f) => f.action === undefined || f.action === action);
    if (i < 0) return undefined;
    return queue.splice(i, 1)[0];
  }

  /** Decides whether an upload of `partNumber` fails, resets, or goes through. */
  partFault(partNumber: number, isPutObject: boolean): PartFault | undefined {
    const o = this.options;
    if (isPutObject && o.includePutObject !== true) return undefined;
    const resetBudget = o.resetTimes === undefined || this.resetsInjected < o.resetTimes;
    if (resetBudget && this.hit(partNumber, o.resetPartNumbers, o.resetPartRate)) {
      this.resetsInjected++;
      return { kind: 'reset', afterBytes: Math.max(0, o.resetAfterBytes ?? 65536) };
    }
    const failBudget = o.failTimes === undefined || this.failuresInjected < o.failTimes;
    if (failBudget && this.hit(partNumber, o.failPartNumbers, o.failPartRate)) {
      this.failuresInjected++;
      return { kind: 'fail', status: o.failStatus ?? 503 };
    }
    return undefined;
  }

  private hit(partNumber: number, numbers: number[] | undefined, rate: number | undefined): boolean {
    if (numbers?.includes(partNumber) === true) return true;
    return rate !== undefined && rate > 0 && this.random() < rate;
  }
}
