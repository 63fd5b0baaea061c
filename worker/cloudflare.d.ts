// The parts of the Workers runtime modules this project uses (full types: @cloudflare/workers-types).
declare module 'cloudflare:workers' {
  export abstract class DurableObject<Env = unknown> {
    protected ctx: DurableObjectState;
    protected env: Env;
    constructor(ctx: DurableObjectState, env: Env);
  }
  export interface DurableObjectState {
    storage: {
      get<T = unknown>(key: string): Promise<T | undefined>;
      put<T>(key: string, value: T): Promise<void>;
      deleteAll(): Promise<void>;
      getAlarm(): Promise<number | null>;
      setAlarm(at: number): Promise<void>;
    };
    blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
  }
}
