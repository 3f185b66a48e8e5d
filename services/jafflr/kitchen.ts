import { setTimeout as sleep } from "node:timers/promises";
import { Doneness } from "../../gen/jafflr/v1/jafflr_pb.js";

/** Cooking time of each doneness at scale 1, as in the original machine. */
export const COOKING_SECONDS: Readonly<Record<Exclude<Doneness, Doneness.UNSPECIFIED>, number>> = {
  [Doneness.LIGHT]: 1,
  [Doneness.MEDIUM]: 2,
  [Doneness.WELL_DONE]: 5,
  [Doneness.BURNT]: 10,
};

/**
 * The toasting plates. Counts the toasties cooking, so that overlapping
 * toasties report correctly (the original kept one flag that the first
 * finisher cleared).
 */
export class Kitchen {
  private cookingNow = 0;

  /**
   * @param timeScale multiplies every cooking time (0 cooks instantly).
   * @param heat waits out a cooking time; tests pass one they control.
   */
  constructor(
    private readonly timeScale: number,
    private readonly heat: (ms: number, signal?: AbortSignal) => Promise<unknown> = (ms, signal) => sleep(ms, undefined, { signal }),
  ) {}

  /** How long a toastie of this doneness takes to cook here, in milliseconds. */
  cookingMs(doneness: keyof typeof COOKING_SECONDS): number {
    return COOKING_SECONDS[doneness] * 1000 * this.timeScale;
  }

  async cook(doneness: keyof typeof COOKING_SECONDS, signal?: AbortSignal): Promise<void> {
    this.cookingNow++;
    try {
      await this.heat(this.cookingMs(doneness), signal);
    } catch (error) {
      // Stopped early (the caller left, or shutdown ran out of time): say why.
      throw signal?.aborted ? signal.reason : error;
    } finally {
      this.cookingNow--;
    }
  }

  get cooking(): number {
    return this.cookingNow;
  }
}
