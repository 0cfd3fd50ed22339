// @ts-check
// Names each module of the API reference after its package (`@tokenwarden/core`, not `core/src`), shows
// the package's README on the module's page, and checks that no public type refers to a type its package
// does not export. Loaded by typedoc.json (`plugin`).
//
// The check: typedoc's own `validation.notExported` only looks at the root package.json's name when one
// program documents several packages, so it would miss every `@tokenwarden/*` type.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Application, Converter, MinimalSourceFile, ReflectionKind } from 'typedoc'
import { makeRecursiveVisitor } from 'typedoc/models'

const packagesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../packages')

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      // `core/src` is `@tokenwarden/core`; a subpath entry such as `core/src/adapter` is `@tokenwarden/core/adapter`.
      const [, folder, subpath] = /^([\w-]+)\/src(?:\/([\w-]+))?$/.exec(module.name) ?? []
      if (folder === undefined) continue
      const packageDir = join(packagesDir, folder)
      const packageName = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).name
      module.name = subpath === undefined ? packageName : `${packageName}/${subpath}`
      const readmePath = join(packageDir, 'README.md')
      if (subpath !== undefined || !existsSync(readmePath) || !module.isDeclaration()) continue
      const { content } = app.converter.parseRawComment(
        new MinimalSourceFile(readFileSync(readmePath, 'utf8'), readmePath),
        context.project.files,
      )
      module.readme = content
    }
  })
  app.on(Application.EVENT_VALIDATE_PROJECT, (project) => {
    if (!app.options.getValue('validation').notExported) return
    const warned = new Set()
    for (const reflection of Object.values(project.reflections)) {
      const visitor = makeRecursiveVisitor({
        reference(type) {
          const name = `${type.package}.${type.qualifiedName}`
          if (!type.package?.startsWith('@tokenwarden/') || type.reflection || type.refersToTypeParameter)
            return
          if (warned.has(name)) return
          warned.add(name)
          app.logger.validationWarning(
            `${type.qualifiedName}, defined in ${type.package}, is referenced by ${reflection.getFriendlyFullName()} but not exported by its package`,
          )
        },
      })
      const types = [
        reflection.type,
        reflection.default,
        ...(reflection.extendedTypes ?? []),
        ...(reflection.implementedTypes ?? []),
      ]
      for (const type of types) type?.visit(visitor)
    }
  })
}
