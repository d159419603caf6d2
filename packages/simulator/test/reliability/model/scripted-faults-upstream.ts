/**
 * The reliability tests' upstream: core's MemoryUpstream behind a fault switch the test holds.
 * A fault is armed for one method (optionally one activation) and stays armed until the command
 * that armed it disarms it, so the reference model knows exactly which calls it hit. Every
 * number sold — including those whose answer a fault swallowed — is recorded, to prove none
 * stays bought without an order.
 */
import {
  type MemoryUpstream,
  UpstreamError,
  type Activation,
  type ActivationStatus,
  type ActiveActivation,
  type Upstream,
  type UpstreamCatalogue,
  type UpstreamErrorKind,
} from '@jiema/core';

export type FaultMethod = 'buy' | 'getStatus' | 'listActive' | 'cancel' | 'finish' | 'requestNextSms';

export interface ArmedFault {
  method: FaultMethod;
  error: UpstreamErrorKind;
  /** The call takes effect and only its answer is lost (a buy that sold a number, then timed out). */
  afterSuccess?: boolean;
  /** The call takes effect and never answers: the process dies waiting for it. `error` is unused. */
  hang?: boolean;
  /** Only calls about this activation. */
  activationId?: string;
}

export interface SoldNumber {
  activationId: string;
  service: string;
  country: number;
  at: number;
}

export class ScriptedFaultsUpstream implements Upstream {
  readonly name = 'memory+faults';
  readonly sold: SoldNumber[] = [];
  private armed: ArmedFault[] = [];
  fired = 0;

  constructor(
    readonly inner: MemoryUpstream,
    private readonly now: () => number,
  ) {}

  arm(...faults: ArmedFault[]): void {
    this.armed.push(...faults);
  }

  disarm(): void {
    this.armed = [];
  }

  private async guard<T>(method: FaultMethod, activationId: string | undefined, run: () => Promise<T>): Promise<T> {
    const fault = this.armed.find((f) => f.method === method && (f.activationId === undefined || f.activationId === activationId));
    if (!fault) return run();
    this.fired += 1;
    if (fault.hang) {
      await run().catch(() => undefined);
      return new Promise<T>(() => undefined);
    }
    if (fault.afterSuccess) await run().catch(() => undefined);
    else await Promise.resolve();
    throw new UpstreamError(fault.error, `scripted ${fault.error} on ${method}`, {
      raw: fault.error === 'PROTOCOL' ? '<html>502 Bad Gateway</html>' : fault.error,
    });
  }

  getCatalogue(): Promise<UpstreamCatalogue> {
    return this.inner.getCatalogue();
  }

  getBalance(): Promise<{ amount: string }> {
    return this.inner.getBalance();
  }

  buy(request: { service: string; country: number }): Promise<Activation> {
    return this.guard('buy', undefined, async () => {
      const a = await this.inner.buy(request);
      this.sold.push({ activationId: a.activationId, service: request.service, country: request.country, at: this.now() });
      return a;
    });
  }

  getStatus(activationId: string): Promise<ActivationStatus> {
    return this.guard('getStatus', activationId, () => this.inner.getStatus(activationId));
  }

  requestNextSms(activationId: string): Promise<void> {
    return this.guard('requestNextSms', activationId, () => this.inner.requestNextSms(activationId));
  }

  finish(activationId: string): Promise<void> {
    return this.guard('finish', activationId, () => this.inner.finish(activationId));
  }

  cancel(activationId: string): Promise<void> {
    return this.guard('cancel', activationId, () => this.inner.cancel(activationId));
  }

  listActive(): Promise<ActiveActivation[]> {
    return this.guard('listActive', undefined, () => this.inner.listActive());
  }
}
