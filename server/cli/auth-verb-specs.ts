/**
 * The access-control verbs of `concord`, declared with etcdctl's names, operands and flags:
 * `user add|delete|list|get|passwd|grant-role|revoke-role`, `role add|delete|list|get|
 * grant-permission|revoke-permission`, `auth enable|disable|status`, and the flags with which every
 * client verb authenticates (`--user name[:password]`, `--password`, CONCORD_USER,
 * CONCORD_PASSWORD). Like verb-specs.ts (which calls this) it only declares and imports no client;
 * auth-commands.ts has the runners and the password prompt.
 */
import { Option, type Command } from 'commander';

/** The top-level verbs declared here (verb-specs.ts lists them in CLIENT_VERBS). */
export const AUTH_VERBS = ['user', 'role', 'auth'] as const;

/** The authentication flags of every client verb (verb-specs.ts's withGlobals adds them). */
export function withUserFlags(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--user <name[:password]>',
        'authenticate as this user; the password is asked for when not given here or by --password',
      ).env('CONCORD_USER'),
    )
    .addOption(
      new Option('--password <password>', 'the password of --user (then --user holds only the name)').env(
        'CONCORD_PASSWORD',
      ),
    );
}

/**
 * `--interactive[=false]` as etcdctl spells it: without it (or true) a password is asked for twice
 * on a terminal; false reads one line from stdin.
 */
function interactive(): Option {
  return new Option(
    '--interactive [bool]',
    'ask for the password twice on a terminal (false: read one line from stdin)',
  ).default('true');
}

/** Declares the verbs; `withGlobals` adds the global flags (verb-specs.ts). */
export function declareAuthVerbs(root: Command, withGlobals: (cmd: Command) => Command): void {
  const user = root.command('user').description('Users (etcdctl user)');
  const add = user
    .command('add')
    .description('Adds a user; the password is asked for unless given as name:password')
    .argument('<name[:password]>')
    .addOption(new Option('--no-password', 'a user without a password (TLS client-certificate users)'))
    .option('--new-user-password <password>', 'the new user’s password (instead of the prompt)')
    .addOption(interactive());
  // `--no-password` and the global `--password` share commander's attribute: keep the switch apart.
  add.on('option:no-password', () => add.setOptionValueWithSource('noPassword', true, 'cli'));
  withGlobals(add);
  withGlobals(user.command('delete').description('Deletes a user').argument('<name>'));
  withGlobals(user.command('list').description('Lists the users'));
  withGlobals(
    user
      .command('get')
      .description("Prints a user's roles")
      .argument('<name>')
      .option('--detail', 'also print the permissions of each role'),
  );
  withGlobals(
    user
      .command('passwd')
      .description("Changes a user's password (asked for)")
      .argument('<name>')
      .addOption(interactive()),
  );
  withGlobals(
    user.command('grant-role').description('Grants a role to a user').argument('<name>').argument('<role>'),
  );
  withGlobals(
    user
      .command('revoke-role')
      .description('Revokes a role from a user')
      .argument('<name>')
      .argument('<role>'),
  );

  const role = root.command('role').description('Roles and their key-range permissions (etcdctl role)');
  withGlobals(role.command('add').description('Adds a role').argument('<role>'));
  withGlobals(role.command('delete').description('Deletes a role').argument('<role>'));
  withGlobals(role.command('list').description('Lists the roles'));
  withGlobals(role.command('get').description("Prints a role's permissions").argument('<role>'));
  withGlobals(
    role
      .command('grant-permission')
      .description(
        'Grants read, write or readwrite on a key, on [key, endkey), on a prefix (--prefix) or on every key ≥ key (--from-key)',
      )
      .argument('<role>')
      .argument('<type>', 'read, write or readwrite')
      .argument('<key>')
      .argument('[endkey]')
      .option('--prefix', 'the permission covers every key with the prefix key')
      .option('--from-key', 'the permission covers every key ≥ key (byte order)'),
  );
  withGlobals(
    role
      .command('revoke-permission')
      .description('Revokes the permission on exactly that key, range or prefix')
      .argument('<role>')
      .argument('<key>')
      .argument('[endkey]')
      .option('--prefix', 'the permission on the prefix key')
      .option('--from-key', 'the permission on every key ≥ key'),
  );

  const auth = root.command('auth').description('Turns access control on or off (etcdctl auth)');
  withGlobals(
    auth
      .command('enable')
      .description('Turns auth on (needs user root; gives it role root, as etcdctl does, when it lacks it)'),
  );
  withGlobals(auth.command('disable').description('Turns auth off (as root)'));
  withGlobals(auth.command('status').description('Prints whether auth is on and the auth revision'));
}
