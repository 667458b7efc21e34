// Whether the user already gave node (on its command line or in NODE_OPTIONS) a V8 flag the
// member would otherwise set itself: a flag the user chose always wins over ours.

/**
 * True when `name` (without its dashes) appears as a flag: either spelling ('-' or '_'),
 * either sense (--no-name), with or without a value; not a longer flag whose name only
 * starts with it.
 */
export function nodeFlagGiven(name: string, execArgv: readonly string[], nodeOptions: string): boolean {
  const spelled = name.replace(/[-_]/g, '[-_]');
  const flag = new RegExp(`(?:^|\\s)--(?:no[-_]?)?${spelled}(?:=|\\s|$)`);
  return execArgv.some((a) => flag.test(a)) || flag.test(nodeOptions);
}
