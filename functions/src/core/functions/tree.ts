// The build contract's path rule (the same as uploads'): the builder bundles this file, and the contract is all it may share.
import { pathProblem as filePathProblem } from '#core/build/contract';
import { type ConfigNote, FunctionConfigError, type FunctionConfig, parseFunctionConfig } from './config.ts';

/** One entry of a directory of the build output, as `readdir` with file types reports it. */
export interface TreeEntry {
  readonly name: string;
  readonly kind: 'file' | 'directory' | 'symlink';
}

/**
 * Read access to a Build Output API directory (`.vercel/output`); paths are POSIX and relative to
 * it (`''` is the root). The core reads the tree only through this port: the builder and the local
 * platform pass a file-system implementation, tests an in-memory one.
 */
export interface OutputTree {
  /** The entries of a directory, without following a symlinked entry. */
  list(dir: string): Promise<TreeEntry[]>;
  /** Where a path resolves once every symlink is followed, relative to the root; `undefined` if it leaves the root or does not exist. */
  resolve(path: string): Promise<string | undefined>;
  /** A file's UTF-8 text. @throws when it does not exist */
  readText(path: string): Promise<string>;
}

/** A function of a deployment: one `.func` directory and every path that names it. */
export interface DeploymentFunction {
  /** Its name: the path of its real `.func` directory under `functions/`, without `.func` (e.g. `api/hello`). */
  readonly name: string;
  /** Its directory relative to the output root, e.g. `functions/api/hello.func`. */
  readonly dir: string;
  /** Every function path served by this code, sorted: its name plus the names of `.func` symlinks to it. */
  readonly paths: readonly string[];
  readonly config: FunctionConfig;
}

const FUNCTIONS_DIR = 'functions';
const SUFFIX = '.func';

/**
 * Reads every function of a Build Output API tree: each `functions/<path>.func/` with its
 * `.vc-config.json`. A `.func` that is a symlink to another one (Next.js writes these for routes that
 * share code) is the same function under another path. `filePathMap` targets must be safe
 * project-relative paths.
 * @returns the functions sorted by name and the notes parsing made
 * @throws FunctionConfigError for the first function that cannot be deployed (see `parseFunctionConfig`),
 *   `missing_function_config`, `invalid_function_config` (JSON), `function_link_outside_output`,
 *   `unsafe_file_path_map`
 */
export async function readFunctions(tree: OutputTree): Promise<{ functions: DeploymentFunction[]; notes: ConfigNote[] }> {
  const real = new Map<string, { name: string; paths: string[] }>();
  const links: Array<{ name: string; target: string }> = [];

  const walk = async (dir: string): Promise<void> => {
    for (const entry of await tree.list(dir)) {
      const path = `${dir}/${entry.name}`;
      const isFunc = entry.name.endsWith(SUFFIX);
      const name = path.slice(FUNCTIONS_DIR.length + 1, isFunc ? -SUFFIX.length : undefined);
      if (entry.kind === 'directory') {
        if (isFunc) real.set(path, { name, paths: [name] });
        else await walk(path);
      } else if (entry.kind === 'symlink' && isFunc) {
        const target = await tree.resolve(path);
        if (target === undefined || !target.startsWith(`${FUNCTIONS_DIR}/`) || !target.endsWith(SUFFIX)) {
          throw new FunctionConfigError('function_link_outside_output', `Function "${name}" is a symlink that does not lead to another .func directory of the output`, {
            function: name,
          });
        }
        links.push({ name, target });
      }
    }
  };
  if ((await tree.list('')).some((e) => e.name === FUNCTIONS_DIR && e.kind === 'directory')) await walk(FUNCTIONS_DIR);

  for (const link of links) {
    const fn = real.get(link.target);
    if (!fn) {
      throw new FunctionConfigError('function_link_outside_output', `Function "${link.name}" links to ${link.target}, which is not a function directory`, { function: link.name });
    }
    fn.paths.push(link.name);
  }

  const functions: DeploymentFunction[] = [];
  const notes: ConfigNote[] = [];
  for (const [dir, { name, paths }] of [...real].sort(([a], [b]) => a.localeCompare(b))) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readConfigText(tree, dir, name));
    } catch (error) {
      if (error instanceof FunctionConfigError) throw error;
      throw new FunctionConfigError('invalid_function_config', `Function "${name}": .vc-config.json is not valid JSON`, { function: name }, { cause: error });
    }
    const parsed = parseFunctionConfig(name, raw);
    const handlerProblem = filePathProblem(parsed.config.handler);
    if (handlerProblem) {
      throw new FunctionConfigError('invalid_function_config', `Function "${name}": handler ${JSON.stringify(parsed.config.handler)} ${handlerProblem}`, { function: name });
    }
    for (const [inFunction, inProject] of Object.entries(parsed.config.filePathMap)) {
      const problem = filePathProblem(inFunction) ?? filePathProblem(inProject);
      if (problem) {
        throw new FunctionConfigError('unsafe_file_path_map', `Function "${name}": filePathMap entry ${JSON.stringify(inFunction)} → ${JSON.stringify(inProject)} ${problem}`, {
          function: name,
        });
      }
    }
    functions.push({ name, dir, paths: paths.sort(), config: parsed.config });
    notes.push(...parsed.notes);
  }
  return { functions, notes };
}

async function readConfigText(tree: OutputTree, dir: string, name: string): Promise<string> {
  const entries = await tree.list(dir);
  if (!entries.some((e) => e.name === '.vc-config.json' && e.kind === 'file')) {
    throw new FunctionConfigError('missing_function_config', `Function "${name}" has no .vc-config.json`, { function: name });
  }
  return tree.readText(`${dir}/.vc-config.json`);
}
