// The auth, user and role command groups of etcdctl 3.4, with their usage lines and flags.

import type { CatalogCommand } from './catalog.js';
import { ROLE_GRANT_FLAGS, ROLE_REVOKE_FLAGS, USER_ADD_FLAGS, USER_GET_FLAGS, USER_PASSWD_FLAGS } from './command-flags.js';
import { lazy } from './lazy-command.js';

// The commands' modules are imported when one runs (see catalog.ts).
const auth = () => import('./auth-commands.js');
const user = () => import('./user-commands.js');
const role = () => import('./role-commands.js');

export const AUTH_GROUP: CatalogCommand = {
  name: 'auth',
  short: 'Enable or disable authentication',
  use: '<enable or disable>',
  subcommands: [
    { name: 'enable', short: 'Enables authentication', exec: lazy(auth, (m) => m.authEnableCommand) },
    { name: 'disable', short: 'Disables authentication', exec: lazy(auth, (m) => m.authDisableCommand) },
  ],
};

export const USER_GROUP: CatalogCommand = {
  name: 'user',
  short: 'User related commands',
  use: '<subcommand>',
  subcommands: [
    { name: 'add', short: 'Adds a new user', use: '<user name or user:password> [options]', flags: USER_ADD_FLAGS, exec: lazy(user, (m) => m.userAddCommand) },
    { name: 'delete', short: 'Deletes a user', use: '<user name>', exec: lazy(user, (m) => m.userDeleteCommand) },
    { name: 'get', short: 'Gets detailed information of a user', use: '<user name> [options]', flags: USER_GET_FLAGS, exec: lazy(user, (m) => m.userGetCommand) },
    { name: 'list', short: 'Lists all users', exec: lazy(user, (m) => m.userListCommand) },
    { name: 'passwd', short: 'Changes password of user', use: '<user name> [options]', flags: USER_PASSWD_FLAGS, exec: lazy(user, (m) => m.userPasswdCommand) },
    { name: 'grant-role', short: 'Grants a role to a user', use: '<user name> <role name>', exec: lazy(user, (m) => m.userGrantRoleCommand) },
    { name: 'revoke-role', short: 'Revokes a role from a user', use: '<user name> <role name>', exec: lazy(user, (m) => m.userRevokeRoleCommand) },
  ],
};

export const ROLE_GROUP: CatalogCommand = {
  name: 'role',
  short: 'Role related commands',
  use: '<subcommand>',
  subcommands: [
    { name: 'add', short: 'Adds a new role', use: '<role name>', exec: lazy(role, (m) => m.roleAddCommand) },
    { name: 'delete', short: 'Deletes a role', use: '<role name>', exec: lazy(role, (m) => m.roleDeleteCommand) },
    { name: 'get', short: 'Gets detailed information of a role', use: '<role name>', exec: lazy(role, (m) => m.roleGetCommand) },
    { name: 'list', short: 'Lists all roles', exec: lazy(role, (m) => m.roleListCommand) },
    {
      name: 'grant-permission',
      short: 'Grants a key to a role',
      use: '[options] <role name> <permission type> <key> [endkey]',
      flags: ROLE_GRANT_FLAGS,
      exec: lazy(role, (m) => m.roleGrantPermissionCommand),
    },
    { name: 'revoke-permission', short: 'Revokes a key from a role', use: '<role name> <key> [endkey]', flags: ROLE_REVOKE_FLAGS, exec: lazy(role, (m) => m.roleRevokePermissionCommand) },
  ],
};
