/** Runs every benchmark in turn and prints one JSON document of the results on stdout (progress goes to stderr). */
import { cpus, arch, platform, release, totalmem } from 'node:os';
import { benchAudit, benchRpc, progress } from './rpc.js';
import { benchSampler } from './sampler.js';
import { benchAssess } from './assess.js';
import { benchShim } from './shim.js';

function machine() {
  const cores = cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: platform(),
    arch: arch(),
    kernel: release(),
    cpus: cores.length,
    cpu_model: cores[0]?.model ?? 'unknown',
    total_mem_mb: Math.round(totalmem() / 2 ** 20),
  };
}

/** Every `passed` that is a boolean, by path; null means the figure has no target. */
function verdicts(node: unknown, path: string, out: Record<string, boolean>): Record<string, boolean> {
  if (node === null || typeof node !== 'object') return out;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'passed' && typeof value === 'boolean') out[path || '.'] = value;
    else verdicts(value, path ? `${path}.${key}` : key, out);
  }
  return out;
}

async function main(): Promise<void> {
  const started = Date.now();
  const results: Record<string, unknown> = { machine: machine() };
  progress('rpc throughput');
  results.rpc = await benchRpc();
  progress('audit appends');
  results.audit = await benchAudit();
  progress('sudo shim');
  results.shim = await benchShim();
  progress('socket sampler');
  results.sampler = await benchSampler();
  progress('compliance assessment');
  results.assess = await benchAssess();
  const targets = verdicts(results, '', {});
  results.summary = {
    targets,
    all_passed: Object.values(targets).every(Boolean),
    duration_s: Math.round((Date.now() - started) / 100) / 10,
  };
  process.stdout.write(JSON.stringify(results, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
