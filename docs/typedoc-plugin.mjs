// @ts-check
// Names each module of the API reference after its package (`@tokenwarden/core`, not `core/src`) and
// shows the package's README on the module's page. Loaded by typedoc.json (`plugin`).
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Converter, MinimalSourceFile, ReflectionKind } from 'typedoc'

const packagesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../packages')

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const folder = /^([\w-]+)\/src$/.exec(module.name)?.[1]
      if (folder === undefined) continue
      const packageDir = join(packagesDir, folder)
      module.name = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).name
      const readmePath = join(packageDir, 'README.md')
      if (!existsSync(readmePath) || !module.isDeclaration()) continue
      const { content } = app.converter.parseRawComment(
        new MinimalSourceFile(readFileSync(readmePath, 'utf8'), readmePath),
        context.project.files,
      )
      module.readme = content
    }
  })
}
