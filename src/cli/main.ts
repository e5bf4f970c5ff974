// The `policy-engine` command line. Each command is a thin wrapper over the library,
// imported when it runs: `health` (a Docker HEALTHCHECK, run every few seconds)
// then starts without loading the engine, the tokenizer or the servers.

import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { UsageError } from './output.js';
import type { HealthOptions } from './health.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function buildProgram(): Command {
  const program = new Command('policy-engine')
    .description('A policy decision point for LLM traffic: CEL policies, budgets, rate limits and obligations.')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();

  program
    .command('validate')
    .description('compile policy files and directories; report every problem (exit 1 on any error)')
    .argument('<paths...>', 'policy files or directories')
    .action(async (paths: string[]) => {
      process.exitCode = await (await import('./validate.js')).validateCommand(paths);
    });

  program
    .command('daemon')
    .description('run the policy decision server: gRPC (default :50051), REST (:8080) and Prometheus metrics (:9090), with hot reload of the policy directory')
    .option('-c, --config <file>', 'the configuration file (YAML; docs/configuration.md). Without it: the defaults and POLICY_ENGINE_* variables')
    .option('--listen <address>', 'the gRPC listen address host:port, over server.listen_address (e.g. 0.0.0.0:50051)')
    .action(async (o: { config?: string; listen?: string }) => {
      await import('../daemon/start-small.js');
      const { runDaemon } = await import('../daemon/startup.js');
      const code = await runDaemon(o);
      if (code !== undefined) process.exitCode = code;
    });

  program
    .command('health')
    .description('ask a running daemon whether it is ready (GET /health/ready): exit 0 when ready, 1 otherwise')
    .option('--url <url>', 'the daemon\'s REST base URL', 'http://localhost:8080')
    .addOption(new Option('--timeout <ms>', 'how long to wait for the answer').default('5000'))
    .option('--ca <file>', 'PEM file of the CA that signed the daemon\'s certificate (https URLs)')
    .option('--cert <file>', 'client certificate (PEM) for a daemon that requires one (server.tls.client_auth)')
    .option('--key <file>', 'the client certificate\'s private key (PEM)')
    .option('--insecure', 'do not verify the daemon\'s certificate')
    .action(async (o: HealthOptions) => {
      process.exitCode = await (await import('./health.js')).healthCommand(o);
    });

  program
    .command('validate-config')
    .description('check a daemon configuration file and the POLICY_ENGINE_* environment variables; report every problem (exit 1 on any error)')
    .argument('<file>', 'the configuration file (YAML)')
    .option('--no-env', 'ignore POLICY_ENGINE_* environment variables: check the file alone')
    .action(async (file: string, o: { env: boolean }) => {
      process.exitCode = await (await import('./validate-config.js')).validateConfigCommand(file, o);
    });

  program
    .command('eval')
    .description('evaluate a context (JSON) against policies and print the decision')
    .requiredOption('-p, --policies <path>', 'policy file or directory (repeatable)', collect, [])
    .requiredOption('-i, --input <file>', 'context JSON file, a directory of them, or - for stdin')
    .option('--trace', 'include a trace explaining every rule')
    .option('--explain', 'print a readable explanation instead of JSON')
    .option('--now <time>', 'RFC 3339 time for now() (default: the real clock)')
    .option('--pricing <file>', 'prices (pricing JSON format) applied over the shipped table')
    .action(async (o: { policies: string[]; input: string; trace?: boolean; explain?: boolean; now?: string; pricing?: string }) => {
      process.exitCode = await (await import('./eval.js')).evalCommand(o);
    });

  program
    .command('test')
    .description('run policy test suites (PolicyTest documents) and report pass/fail and rule coverage')
    .argument('<paths...>', 'files or directories holding PolicyTest documents')
    .option('--junit <file>', 'also write a JUnit XML report')
    .option('--pricing <file>', 'prices (pricing JSON format) applied over the shipped table')
    .action(async (paths: string[], o: { junit?: string; pricing?: string }) => {
      process.exitCode = await (await import('./test.js')).testCommand(paths, o);
    });

  program
    .command('bench')
    .description('measure evaluation latency and throughput on one core: the policy set (and the reference CEL interpreter, when installed), the LLM built-ins, limit checks in memory and Redis')
    .option('-p, --policies <path>', 'policy file or directory (default: the bundled benchmark set)')
    .option('-i, --input <dir>', 'directory of context JSON files (default: the bundled benchmark contexts)')
    .addOption(new Option('--seconds <n>', 'time per measurement').default('2'))
    .option('--only <scenarios>', 'comma-separated scenarios to run: uncached, cached, reference, llm, limits (default: all)')
    .addOption(new Option('--redis-url <url>', 'Redis for the limits scenario (skipped when unreachable)').env('REDIS_URL').default('redis://127.0.0.1:6379'))
    .option('--json', 'print results as JSON')
    .addOption(new Option('--scenario <name>', 'run one scenario in this process (used internally)').hideHelp())
    .action(async (o: { policies?: string; input?: string; seconds: string; json?: boolean; only?: string; redisUrl: string; scenario?: string }) => {
      process.exitCode = await (await import('./bench.js')).benchCommand(o);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}`);
      process.exitCode = 2;
      return;
    }
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  }
}
