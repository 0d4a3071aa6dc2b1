// `mrtom-kv token create|list|revoke`: bearer tokens with per-prefix rules (docs/api.md, Authentication);
// every verb needs a token with admin on every key (--token / MRTOM_TOKEN), such as the root token.
import { Command, InvalidArgumentError, Option } from 'commander';
import { clientCommand, runVerb, type ClientFlags } from '../client-command.js';
import { writeJson, writeLine, writeTable } from '../output.js';
import type { AccessLevel, TokenRule } from '../../client/index.js';

const ACCESS_LEVELS: readonly string[] = ['read', 'write', 'admin'];

/** `app/:read` → {prefix: 'app/', access: 'read'}: the access follows the last colon, so a prefix may hold colons. */
function parseRule(raw: string, rules: TokenRule[] = []): TokenRule[] {
  const colon = raw.lastIndexOf(':');
  const access = raw.slice(colon + 1);
  if (colon < 0 || !ACCESS_LEVELS.includes(access)) throw new InvalidArgumentError(`expected PREFIX:read|write|admin, got "${raw}"`);
  return [...rules, { prefix: raw.slice(0, colon), access: access as AccessLevel }];
}

const rulesText = (rules: readonly TokenRule[]): string => rules.map((r) => `${r.prefix === '' ? '""' : r.prefix}:${r.access}`).join(' ');

function createCommand(): Command {
  return clientCommand('create', 'issue a token; prints it once (the cluster keeps only its hash)', [
    'mrtom-kv token create --name app-reader --rule app/:read',
    'mrtom-kv token create --name deployer --rule app/:write --rule config/:read -o json',
  ])
    .addOption(new Option('--name <name>', 'what the token is for').makeOptionMandatory())
    .addOption(
      new Option('--rule <prefix:access>', 'a rule, repeatable; the prefix may be empty (":admin" is every key)')
        .argParser(parseRule)
        .makeOptionMandatory(),
    )
    .action(async (flags: ClientFlags & { name: string; rule: TokenRule[] }) => {
      await runVerb(flags, async ({ client, output, signal }) => {
        const issued = await client.tokens.create(flags.name, flags.rule, { signal });
        if (output === 'json') writeJson(issued);
        else if (output === 'table') writeTable(['ID', 'TOKEN'], [[issued.id, issued.token]], true);
        else writeLine(issued.token);
      });
    });
}

function listCommand(): Command {
  return clientCommand('list', 'list the tokens: ids, names and rules (never secrets)', ['mrtom-kv token list -o table']).action(
    async (flags: ClientFlags) => {
      await runVerb(flags, async ({ client, output, signal }) => {
        const tokens = await client.tokens.list({ signal });
        if (output === 'json') writeJson({ tokens });
        else if (output === 'table')
          writeTable(
            ['ID', 'NAME', 'RULES'],
            tokens.map((t) => [t.id, t.name, rulesText(t.rules)]),
            true,
          );
        else for (const t of tokens) writeLine(`${t.id} ${t.name} ${rulesText(t.rules)}`);
      });
    },
  );
}

function revokeCommand(): Command {
  return clientCommand('revoke', 'revoke a token on every replica; its open watches end', ['mrtom-kv token revoke Xk3v9aQw2eRt'])
    .argument('<id>', 'the token id (token list shows them)')
    .action(async (id: string, flags: ClientFlags) => {
      await runVerb(flags, async ({ client, output, signal }) => {
        await client.tokens.revoke(id, { signal });
        if (output === 'json') writeJson({ id, revoked: true });
        else writeLine(`token ${id} revoked`);
      });
    });
}

export function tokenCommand(): Command {
  return new Command('token')
    .description('bearer tokens with per-prefix rules (auth on)')
    .addCommand(createCommand())
    .addCommand(listCommand())
    .addCommand(revokeCommand());
}
