// A PostgreSQL server of a test's own, from the machine's PostgreSQL binaries
// (initdb, pg_ctl), in a temporary directory on a free port, so a test can
// really stop and start it. PostgreSQL refuses to run as root: as root, the
// commands run as the `postgres` user, who owns the directory.
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../scripts/support/ports.js";

const run = promisify(execFile);

/** The newest installed PostgreSQL's bin directory, if any. */
export function postgresBinaries(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] && path.join(root, versions[0], "bin");
}

export class PostgresCluster {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** A fresh cluster, started. */
  static async create(): Promise<PostgresCluster> {
    const bin = postgresBinaries();
    if (!bin) throw new Error("no PostgreSQL binaries under /usr/lib/postgresql (apt-get install postgresql)");
    const dir = mkdtempSync(path.join(tmpdir(), "pg-cluster-"));
    const cluster = new PostgresCluster(bin, dir, await freePort());
    if (userInfo().uid === 0) {
      const { stdout } = await run("id", ["-u", "postgres"]);
      const { stdout: gid } = await run("id", ["-g", "postgres"]);
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    await cluster.pg("initdb", ["-D", path.join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "--no-instructions"]);
    await cluster.start();
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private pg(program: string, args: string[]): Promise<unknown> {
    const binary = path.join(this.bin, program);
    return userInfo().uid === 0 ? run("runuser", ["-u", "postgres", "--", binary, ...args], { cwd: this.dir }) : run(binary, args, { cwd: this.dir });
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
    await this.pg("pg_ctl", ["-D", path.join(this.dir, "data"), "-o", options, "-l", path.join(this.dir, "log"), "-w", "start"]);
  }

  /** Stops the server: `fast` ends sessions and rolls back what is in flight; `immediate` is a crash. */
  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    await this.pg("pg_ctl", ["-D", path.join(this.dir, "data"), "-m", mode, "-w", "stop"]);
  }

  async destroy(): Promise<void> {
    await this.stop("immediate").catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}
