import { parseArgs, type ParseArgsConfig } from "node:util";

type Flags = NonNullable<ParseArgsConfig["options"]>;

/** What a command line holds: its positional arguments and its flags. */
export interface CliArgs<F extends Flags> {
  positionals: string[];
  values: ReturnType<typeof parseArgs<{ options: F; allowPositionals: true; strict: true }>>["values"];
}

/**
 * Reads a command line with util.parseArgs (strict: an unknown flag is an
 * error, not silently ignored), answering its positionals and flags, or
 * undefined after printing the usage and why when the line is wrong.
 */
export function readCli<F extends Flags>(
  args: string[],
  usage: string,
  spec: { flags?: F; positionals: { min: number; max: number } },
): CliArgs<F> | undefined {
  try {
    const { positionals, values } = parseArgs({ args, options: spec.flags ?? ({} as F), allowPositionals: true, strict: true });
    const { min, max } = spec.positionals;
    if (positionals.length < min || positionals.length > max)
      throw new Error(`expected ${min === max ? min : `${min} to ${max}`} arguments, got ${positionals.length}`);
    return { positionals, values };
  } catch (error) {
    console.error(`usage: ${usage}\n  ${(error as Error).message}`);
    return undefined;
  }
}

/** readCli, exiting with status 2 when the line is wrong: for a script's top level. */
export function cliOrExit<F extends Flags>(args: string[], usage: string, spec: { flags?: F; positionals: { min: number; max: number } }): CliArgs<F> {
  const cli = readCli(args, usage, spec);
  if (!cli) process.exit(2);
  return cli;
}
