/**
 * `concord snapshot save|status|restore` as commander declares them (etcdctl's and etcdutl's
 * names and flags). Declarations only: --help never loads the runners (snapshot-verbs.ts).
 */
import type { Command } from 'commander';

export function declareSnapshotVerbs(root: Command, withGlobals: (cmd: Command) => Command): void {
  const snapshot = root
    .command('snapshot')
    .description('Backups: save a snapshot from a member, check a file, restore a member from one');
  withGlobals(
    snapshot
      .command('save')
      .description(
        [
          'Streams a consistent snapshot of one member (the first of --endpoints that answers) into',
          'FILE, verified block by block, written to FILE.part, fsynced and renamed (etcdctl snapshot',
          'save). A progress line is shown on a terminal. --command-timeout does not apply: a large',
          'snapshot takes as long as it takes (Ctrl-C stops it and leaves no file).',
        ].join('\n'),
      )
      .argument('<file>'),
  );
  withGlobals(
    snapshot
      .command('status')
      .description("Checks a snapshot file and prints its checksum, revision, key count and size (etcdutl's)")
      .argument('<file>'),
  );
  withGlobals(
    snapshot
      .command('restore')
      .description(
        [
          "Builds a new member's data directory from a snapshot file (etcdutl snapshot restore): the",
          'cluster and member ids derive from --initial-cluster-token and --initial-cluster, as',
          '`concord serve` derives them from the same flags; start every restored member with the flags',
          'it was restored with. Never overwrites an existing --data-dir.',
        ].join('\n'),
      )
      .argument('<file>')
      .option('--name <name>', 'name of the member to restore', 'default')
      .option(
        '--initial-cluster <list>',
        'the restored cluster: name=peerURL,… (default: <name>=<advertised peer URL>)',
      )
      .option(
        '--initial-advertise-peer-urls <urls>',
        "this member's peer URLs (default: concord serve's --listen-peer-urls default)",
      )
      .option('--initial-cluster-token <token>', 'token of the restored cluster', 'concord-cluster')
      .option('--data-dir <dir>', 'the data directory to create (default: ./<name>.concord)'),
  );
}
