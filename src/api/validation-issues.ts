// Turns TypeBox's validation errors into one line per problem a client can act on, each naming its
// field: an integer says its range, a union says which of its forms was meant (or lists them), and an
// unknown property is named once.

/** One problem, in the shape Ajv and TypeBox share. */
export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  schemaPath?: string;
  message?: string;
  params: Record<string, unknown>;
}

type SchemaNode = Record<string, unknown>;

/** Keywords saying the value is not of a union branch's form at all (rather than of it, but out of bounds). */
const FORM_MISSES = new Set(['type', 'const', 'required', 'additionalProperties']);

function subschema(root: SchemaNode, schemaPath: string | undefined): SchemaNode | undefined {
  if (schemaPath === undefined) return undefined;
  let node: unknown = root;
  for (const part of schemaPath.split('/').slice(1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return typeof node === 'object' && node !== null ? (node as SchemaNode) : undefined;
}

/**
 * A message that says what is wanted: "must be an integer from 1 to 1000" for any bound or type failure
 * of a bounded integer, and a pattern's description rather than its regular expression.
 */
function plainMessage(root: SchemaNode, issue: ValidationIssue): string | undefined {
  const schema = subschema(root, issue.schemaPath);
  if (issue.keyword === 'pattern' && typeof schema?.description === 'string') return `must be ${schema.description}`;
  if (!['type', 'minimum', 'maximum'].includes(issue.keyword)) return undefined;
  if (schema?.type !== 'integer' || typeof schema.minimum !== 'number' || typeof schema.maximum !== 'number') return undefined;
  return `must be an integer from ${schema.minimum} to ${schema.maximum}`;
}

/** A union (`anyOf`) at one instance: array items share a schema path, so the instance is part of the name. */
interface Site {
  schemaPath: string;
  instancePath: string;
}

const siteKey = (site: Site): string => `${site.schemaPath} ${site.instancePath}`;

/** The instance a schema path prefix applies to: `properties/x` and `items` each step one level into the value. */
function instanceAt(schemaPath: string, instancePath: string): string {
  const instance = instancePath.split('/').slice(1);
  const parts = schemaPath.split('/').slice(1);
  let depth = 0;
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === 'properties') i += 1;
    else if (parts[i] !== 'items') continue;
    depth += 1;
  }
  return instance
    .slice(0, depth)
    .map((part) => `/${part}`)
    .join('');
}

/** The outermost union an issue comes from that is not resolved yet, and the branch it is in. */
function siteOf(issue: ValidationIssue, resolved: ReadonlySet<string>): { site: Site; branch: number } | null {
  for (const match of (issue.schemaPath ?? '').matchAll(/\/anyOf\/(\d+)/g)) {
    const schemaPath = issue.schemaPath!.slice(0, match.index);
    const site = { schemaPath, instancePath: instanceAt(schemaPath, issue.instancePath) };
    if (!resolved.has(siteKey(site))) return { site, branch: Number(match[1]) };
  }
  return null;
}

/** One issue for a union none of whose forms the value has: the allowed values, properties or types. */
function unionMiss(root: SchemaNode, site: Site): ValidationIssue {
  const branches = (subschema(root, site.schemaPath)?.anyOf ?? []) as SchemaNode[];
  const consts = branches.filter((branch) => 'const' in branch).map((branch) => JSON.stringify(branch.const));
  const keys = branches.map((branch) => (Array.isArray(branch.required) && branch.required.length === 1 ? branch.required[0] : null));
  let message: string;
  if (consts.length === branches.length) message = `must be one of ${consts.join(', ')}`;
  else if (keys.every((key) => key !== null)) message = `must have exactly one of the properties ${keys.join(', ')}`;
  else message = `must be one of the types ${branches.map((branch) => String(branch.type)).join(', ')}`;
  return { keyword: 'anyOf', instancePath: site.instancePath, params: {}, message };
}

/**
 * Keeps, for each union, only the issues of the branch the client evidently meant: the one with the
 * fewest issues saying the value is not of its form at all. If every branch is such a miss, one issue
 * lists the forms instead. Each pass resolves one union, outermost first; there are fewer unions than issues.
 */
function resolveUnions(root: SchemaNode, input: readonly ValidationIssue[]): ValidationIssue[] {
  let issues = input.filter((issue) => issue.keyword !== 'anyOf');
  const resolved = new Set<string>();
  for (let pass = 0; pass < input.length; pass++) {
    const located = issues.map((issue) => siteOf(issue, resolved));
    const outermost = located.reduce<Site | null>(
      (best, at) => (at !== null && (best === null || at.site.schemaPath.length < best.schemaPath.length) ? at.site : best),
      null,
    );
    if (outermost === null) break;
    const key = siteKey(outermost);
    const branches = new Map<number, ValidationIssue[]>();
    issues.forEach((issue, i) => {
      const at = located[i];
      if (at === null || at === undefined || siteKey(at.site) !== key) return;
      branches.set(at.branch, [...(branches.get(at.branch) ?? []), issue]);
    });
    const misses = (branch: readonly ValidationIssue[]) =>
      branch.filter((issue) => issue.instancePath === outermost.instancePath && FORM_MISSES.has(issue.keyword)).length;
    const best = [...branches.values()].sort((a, b) => misses(a) - misses(b) || a.length - b.length)[0]!;
    const kept = misses(best) > 0 ? [unionMiss(root, outermost)] : best;
    issues = [...issues.filter((_issue, i) => located[i] === null || siteKey(located[i]!.site) !== key), ...kept];
    resolved.add(key);
  }
  return issues;
}

/** The issues TypeBox reported, reduced to what a client must fix, with messages that say how. */
export function explainIssues(root: SchemaNode, issues: readonly ValidationIssue[]): ValidationIssue[] {
  // TypeBox reports an unknown property twice: as additionalProperties, and as the `false` schema the
  // property met; the second says nothing the first does not.
  const named = issues.filter((issue) => issue.keyword !== 'boolean');
  return resolveUnions(root, named).map((issue) => {
    const message = plainMessage(root, issue);
    return message === undefined ? issue : { ...issue, message };
  });
}

/** Issues TypeBox reports with a list of property names, and how each name is described. */
const NAMED_PROPERTIES: Record<string, { param: string; says: string }> = {
  additionalProperties: { param: 'additionalProperties', says: 'unknown' },
  required: { param: 'requiredProperties', says: 'missing' },
};

/** One line per problem, each naming its field: `querystring: unknown parameter 'x'`, `body/success/0: ...`. */
export function describeIssues(issues: readonly ValidationIssue[], context: string | undefined): string {
  const where = (path: string): string => `${context ?? 'request'}${path}`;
  const noun = context === 'querystring' ? 'parameter' : 'field';
  const lines = issues.flatMap((issue) => {
    const named = NAMED_PROPERTIES[issue.keyword];
    const names = named === undefined ? undefined : issue.params[named.param];
    if (named === undefined || !Array.isArray(names)) return [`${where(issue.instancePath)} ${issue.message ?? 'is invalid'}`];
    return names.map((name) => `${where(issue.instancePath)}: ${named.says} ${noun} '${String(name)}'`);
  });
  return [...new Set(lines)].join('; ');
}
