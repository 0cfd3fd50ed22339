import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/** Every module the main entry reaches, following relative imports. */
function moduleGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  const visit = (file: string) => {
    if (graph.has(file)) return
    const source = readFileSync(file, 'utf8')
    const specifiers = [...source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)].map(
      (m) => m[1]!,
    )
    graph.set(file, specifiers)
    for (const specifier of specifiers)
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier))
  }
  visit(entry)
  return graph
}

describe('@tokenwarden/core main entry', () => {
  it('should import nothing but its own modules (no node: builtins, no dependencies) for edge runtimes', () => {
    const graph = moduleGraph(resolve(dirname(fileURLToPath(import.meta.url)), 'index.ts'))
    expect(graph.size).toBeGreaterThan(20)
    const external = [...graph].flatMap(([file, specifiers]) =>
      specifiers.filter((s) => !s.startsWith('.')).map((s) => `${file}: ${s}`),
    )
    expect(external).toEqual([])
  })
})
