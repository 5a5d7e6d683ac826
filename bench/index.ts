/**
 * `npm run bench -- <workload> [options]`: runs one benchmark workload. Each workload is a module
 * `bench/<workload>.ts` exporting `run(args)`. `all` is the Concord-vs-etcd suite
 * (`npm run bench -- all --vs`, see bench/all.ts and docs/performance.md).
 */
const [workload, ...args] = process.argv.slice(2);
if (workload === undefined || !/^[a-z0-9-]+$/.test(workload)) {
  console.error(
    'usage: npm run bench -- <workload> [options]   (wal, wal-sync, mvcc, memory, compaction, snapshot-stall, all [--vs | --target concord|etcd] [--profile], scale [--vs | --target concord|etcd] [--bytes 1GiB] [--chunk-keys N])',
  );
  process.exit(2);
}
let mod: { run?: (args: string[]) => Promise<void> };
try {
  mod = (await import(`./${workload}.js`)) as typeof mod;
} catch (err) {
  console.error(`bench: unknown workload '${workload}': ${String(err)}`);
  process.exit(2);
}
if (typeof mod.run !== 'function') {
  console.error(`bench: bench/${workload}.ts does not export run(args)`);
  process.exit(2);
}
await mod.run(args);
