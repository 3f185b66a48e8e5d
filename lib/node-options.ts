// Starting a Node process from this one, as this one runs.

/** Options that name what this process runs (its code), not how Node runs: a child given them would run that instead. */
const WHAT_TO_RUN = new Set(["-e", "--eval", "-p", "--print", "--input-type", "-i", "--interactive", "--test", "--watch", "--check", "-c"]);
/** Options that take the next argument as their value when not written with "=". */
const TAKES_A_VALUE = new Set(["-e", "--eval", "-p", "--print", "--input-type"]);

/**
 * This process's Node options as a child should get them: its V8 settings and
 * loaders (--import tsx) kept; what it runs (--eval and the like) and what only
 * one process can hold (--inspect's port) left out.
 */
export function nodeOptionsForAChild(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const [name] = execArgv[i]!.split("=", 1) as [string];
    if (WHAT_TO_RUN.has(name) || name.startsWith("--inspect") || name.startsWith("--debug")) {
      if (TAKES_A_VALUE.has(name) && !execArgv[i]!.includes("=")) i++;
      continue;
    }
    kept.push(execArgv[i]!);
  }
  return kept;
}
