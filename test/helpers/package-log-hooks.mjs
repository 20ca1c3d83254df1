/** Module hooks for package-log.mjs: they run on Node's loader thread, so they write to the file directly. */
import fs from 'node:fs';

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const name = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(resolved.url)?.[1];
  if (name && process.env.PACKAGE_LOG) fs.appendFileSync(process.env.PACKAGE_LOG, `${name}\n`);
  return resolved;
}
