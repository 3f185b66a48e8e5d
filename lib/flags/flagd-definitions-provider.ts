import { FlagdCore } from "@openfeature/flagd-core";
import {
  OpenFeatureEventEmitter,
  ProviderEvents,
  type EvaluationContext,
  type JsonValue,
  type Logger as OpenFeatureLogger,
  type Provider,
  type ResolutionDetails,
} from "@openfeature/server-sdk";
import type { Logger } from "../logger.js";
import type { DefinitionsSource } from "./definitions-source.js";

const NO_FLAGS = JSON.stringify({ flags: {} });

/**
 * An OpenFeature provider that evaluates flagd flag definitions in process
 * (flagd-core: JsonLogic targeting, fractional rollouts) from any source: a
 * file, an environment variable, a database table. Broken definitions are
 * never half-applied: every flag falls back to the caller's default (the safe
 * choice), and the error is logged.
 */
export class FlagdDefinitionsProvider implements Provider {
  readonly metadata = { name: "flagd-definitions" } as const;
  readonly runsOn = "server";
  readonly events = new OpenFeatureEventEmitter();
  private readonly core = new FlagdCore();

  constructor(
    private readonly source: DefinitionsSource,
    private readonly logger: Logger,
  ) {
    this.core.setConfigurations(NO_FLAGS);
  }

  async initialize(): Promise<void> {
    await this.source.start((definitions) => this.load(definitions));
  }

  async onClose(): Promise<void> {
    await this.source.stop();
  }

  /** Replaces every definition; broken ones leave no flags at all. */
  load(definitions: string): void {
    try {
      const keys = this.core.setConfigurations(definitions);
      this.logger.info({ source: this.source.description, flags: keys }, "flag definitions loaded");
    } catch (error) {
      this.core.setConfigurations(NO_FLAGS);
      this.logger.error({ source: this.source.description, err: error }, "broken flag definitions: every flag uses its default");
    }
    this.events.emit(ProviderEvents.ConfigurationChanged);
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext, logger: OpenFeatureLogger): Promise<ResolutionDetails<boolean>> {
    return Promise.resolve(this.core.resolveBooleanEvaluation(flagKey, defaultValue, context, logger));
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext, logger: OpenFeatureLogger): Promise<ResolutionDetails<string>> {
    return Promise.resolve(this.core.resolveStringEvaluation(flagKey, defaultValue, context, logger));
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext, logger: OpenFeatureLogger): Promise<ResolutionDetails<number>> {
    return Promise.resolve(this.core.resolveNumberEvaluation(flagKey, defaultValue, context, logger));
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext, logger: OpenFeatureLogger): Promise<ResolutionDetails<T>> {
    return Promise.resolve(this.core.resolveObjectEvaluation(flagKey, defaultValue, context, logger));
  }
}
