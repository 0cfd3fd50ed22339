import { tallyFieldCount } from './counter-vector.ts'

/** Numbers per counter: used fields, reserved fields, then expiresAt (NaN: never). */
const stride = tallyFieldCount * 2 + 1
const expiresAt = tallyFieldCount * 2

/**
 * The memory store's counters in one growing `Float64Array` (one slot of 19 numbers per counter) with
 * a key → slot map: about 150 bytes of numbers per counter plus its key, instead of a typed array
 * object per counter. A slot freed when its period ends is reused; its generation changes, so a lease
 * still pointing at it returns nothing to the counter that took its place.
 */
export class CounterSlab {
  private readonly slots = new Map<string, number>()
  private numbers = new Float64Array(stride * 64)
  private generations = new Uint32Array(64)
  private readonly free: number[] = []
  private next = 0
  /** The earliest expiry of any counter (prune does nothing before it). */
  private nextExpiry = Number.POSITIVE_INFINITY

  /** The counter's slot, or -1. */
  slotOf(key: string): number {
    return this.slots.get(key) ?? -1
  }

  /** The counter's slot, created (zeroed) when missing. */
  ensure(key: string, expires: number | null): number {
    const found = this.slots.get(key)
    if (found !== undefined) return found
    const slot = this.free.pop() ?? this.grow()
    this.numbers.fill(0, slot * stride, slot * stride + expiresAt)
    this.numbers[slot * stride + expiresAt] = expires ?? Number.NaN
    if (expires !== null && expires < this.nextExpiry) this.nextExpiry = expires
    this.slots.set(key, slot)
    return slot
  }

  /** Number `index` of the slot (used fields, then reserved fields); 0 for slot -1. */
  value(slot: number, index: number): number {
    return slot === -1 ? 0 : this.numbers[slot * stride + index]!
  }

  generation(slot: number): number {
    return this.generations[slot]!
  }

  /** Adds `vector` (tallyFields order) to the used (`offset` 0) or reserved (`offset` 9) fields. */
  add(slot: number, offset: number, vector: ArrayLike<number>): void {
    const base = slot * stride + offset
    for (let f = 0; f < tallyFieldCount; f++) this.numbers[base + f]! += vector[f]!
  }

  /** Takes `vector` off the reserved fields (never below 0) unless the slot changed hands. */
  release(slot: number, generation: number, vector: ArrayLike<number>, epsilon: number): void {
    if (this.generations[slot] !== generation) return
    const base = slot * stride + tallyFieldCount
    for (let f = 0; f < tallyFieldCount; f++) {
      const value = this.numbers[base + f]! - vector[f]!
      this.numbers[base + f] = value < epsilon ? 0 : value
    }
  }

  /** Copies the slot's used and reserved fields (18 numbers) into `out`; zeros for slot -1. */
  copyInto(slot: number, out: Float64Array): void {
    if (slot === -1) {
      for (let f = 0; f < expiresAt; f++) out[f] = 0
      return
    }
    const base = slot * stride
    for (let f = 0; f < expiresAt; f++) out[f] = this.numbers[base + f]!
  }

  /** Adds the slot's used and reserved fields (18 numbers) into `out`. */
  addInto(slot: number, out: Float64Array): void {
    const base = slot * stride
    for (let f = 0; f < expiresAt; f++) out[f]! += this.numbers[base + f]!
  }

  /** Drops counters whose period ended by `now`. */
  prune(now: number): void {
    if (now < this.nextExpiry) return
    this.nextExpiry = Number.POSITIVE_INFINITY
    for (const [key, slot] of this.slots) {
      const expires = this.numbers[slot * stride + expiresAt]!
      if (expires <= now) {
        this.slots.delete(key)
        this.generations[slot]!++
        this.free.push(slot)
      } else if (expires < this.nextExpiry) this.nextExpiry = expires
    }
  }

  keys(): IterableIterator<string> {
    return this.slots.keys()
  }

  clear(): void {
    this.slots.clear()
    this.free.length = 0
    this.next = 0
    this.nextExpiry = Number.POSITIVE_INFINITY
  }

  private grow(): number {
    const slot = this.next++
    if (slot >= this.generations.length) {
      const numbers = new Float64Array(this.numbers.length * 2)
      numbers.set(this.numbers)
      this.numbers = numbers
      const generations = new Uint32Array(this.generations.length * 2)
      generations.set(this.generations)
      this.generations = generations
    }
    return slot
  }
}
