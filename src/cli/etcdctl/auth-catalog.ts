// The auth, user and role command groups of etcdctl 3.4, with their usage lines and flags.

import { authDisableCommand, authEnableCommand } from './auth-commands.js';
import type { CatalogCommand } from './catalog.js';
import {
  roleAddCommand,
  roleDeleteCommand,
  roleGetCommand,
  roleGrantPermissionCommand,
  roleListCommand,
  roleRevokePermissionCommand,
  ROLE_GRANT_FLAGS,
  ROLE_REVOKE_FLAGS,
} from './role-commands.js';
import {
  userAddCommand,
  userDeleteCommand,
  userGetCommand,
  userGrantRoleCommand,
  userListCommand,
  userPasswdCommand,
  userRevokeRoleCommand,
  USER_ADD_FLAGS,
  USER_GET_FLAGS,
  USER_PASSWD_FLAGS,
} from './user-commands.js';

export const AUTH_GROUP: CatalogCommand = {
  name: 'auth',
  short: 'Enable or disable authentication',
  use: '<enable or disable>',
  subcommands: [
    { name: 'enable', short: 'Enables authentication', exec: authEnableCommand },
    { name: 'disable', short: 'Disables authentication', exec: authDisableCommand },
  ],
};

export const USER_GROUP: CatalogCommand = {
  name: 'user',
  short: 'User related commands',
  use: '<subcommand>',
  subcommands: [
    { name: 'add', short: 'Adds a new user', use: '<user name or user:password> [options]', flags: USER_ADD_FLAGS, exec: userAddCommand },
    { name: 'delete', short: 'Deletes a user', use: '<user name>', exec: userDeleteCommand },
    { name: 'get', short: 'Gets detailed information of a user', use: '<user name> [options]', flags: USER_GET_FLAGS, exec: userGetCommand },
    { name: 'list', short: 'Lists all users', exec: userListCommand },
    { name: 'passwd', short: 'Changes password of user', use: '<user name> [options]', flags: USER_PASSWD_FLAGS, exec: userPasswdCommand },
    { name: 'grant-role', short: 'Grants a role to a user', use: '<user name> <role name>', exec: userGrantRoleCommand },
    { name: 'revoke-role', short: 'Revokes a role from a user', use: '<user name> <role name>', exec: userRevokeRoleCommand },
  ],
};

export const ROLE_GROUP: CatalogCommand = {
  name: 'role',
  short: 'Role related commands',
  use: '<subcommand>',
  subcommands: [
    { name: 'add', short: 'Adds a new role', use: '<role name>', exec: roleAddCommand },
    { name: 'delete', short: 'Deletes a role', use: '<role name>', exec: roleDeleteCommand },
    { name: 'get', short: 'Gets detailed information of a role', use: '<role name>', exec: roleGetCommand },
    { name: 'list', short: 'Lists all roles', exec: roleListCommand },
    {
      name: 'grant-permission',
      short: 'Grants a key to a role',
      use: '[options] <role name> <permission type> <key> [endkey]',
      flags: ROLE_GRANT_FLAGS,
      exec: roleGrantPermissionCommand,
    },
    { name: 'revoke-permission', short: 'Revokes a key from a role', use: '<role name> <key> [endkey]', flags: ROLE_REVOKE_FLAGS, exec: roleRevokePermissionCommand },
  ],
};
