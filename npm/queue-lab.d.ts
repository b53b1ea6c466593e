// Types for the queuelab npm package: the <queue-lab> and <queue-lab-compare>
// elements, and the engine's Playground (re-exported from the wasm package).
export * from './pkg/queuelab_wasm.js';
import type { Snapshot, Command } from './pkg/queuelab_wasm.js';

/** What a <queue-lab> reports in ql-status and `status`. */
export type QueueLabStatus = 'loading' | 'running' | 'paused' | 'deadlock' | 'panic' | 'ended';

/** A source for QueueLab.load(). */
export type QueueLabSource = { preset: string } | { scenario: string } | { link: string };

export interface QueueLabEventMap {
  'ql-ready': CustomEvent<Record<string, never>>;
  'ql-status': CustomEvent<{ status: QueueLabStatus }>;
  'ql-tick': CustomEvent<{ timeUs: number; status: QueueLabStatus }>;
  'ql-error': CustomEvent<{ message: string }>;
}

/**
 * <queue-lab preset="..." view="full|compact|stage" panels="charts log inspector controls admin"
 *   seed speed autoplay until="10s" height theme="light|dark" scenario="url" link="#v=2&...">
 */
export declare class QueueLab extends HTMLElement {
  /** True once the first world is loaded and drawn. */
  readonly ready: boolean;
  readonly status: QueueLabStatus;
  /** Virtual time, microseconds. */
  readonly timeUs: number;
  play(): void;
  pause(): void;
  step(): void;
  seek(tUs: number): void;
  reset(): void;
  /** A live command, as in a scenario's `commands`; throws the engine's refusal. Returns true if it forked the timeline. */
  command(cmd: Command): boolean;
  snapshot(): Snapshot | null;
  /**
   * Loads another run; rejects with the engine's message (also shown in the
   * element). Before the element has started, it starts it with this run.
   */
  load(source: QueueLabSource): Promise<void>;
  addEventListener<K extends keyof QueueLabEventMap>(type: K, listener: (ev: QueueLabEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
}

/** <queue-lab-compare preset b='[timed commands]' label-a label-b seed speed until autoplay> */
export declare class QueueLabCompare extends HTMLElement {
  readonly ready: boolean;
  play(): void;
  pause(): void;
  reset(): void;
  /** The samples the overlaid charts drew, per side. */
  data(): { a: unknown[]; b: unknown[] };
  /** What the overlaid charts drew last: per chart its title, the virtual seconds and A's and B's values (null: no value). */
  charts(): { title: string; t: number[]; a: (number | null)[]; b: (number | null)[] }[];
}

/** Parses "10s", "500ms", "2m" to microseconds (null for empty, an Error otherwise). */
export declare function parseDuration(text: string | null | undefined): number | null | Error;
export declare function loadEngine(): Promise<unknown>;

declare global {
  interface HTMLElementTagNameMap {
    'queue-lab': QueueLab;
    'queue-lab-compare': QueueLabCompare;
  }
}
