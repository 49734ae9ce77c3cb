// A set of (sensor id, time offset) pairs: open addressing over one Int32Array, no allocation per key.
// The windows' duplicate check runs once per point, millions of times a second; a Set<number> of keys
// past 2^31 (heap numbers) was most of that time.

const EMPTY = -1

export class KeySet {
  private slots: Int32Array
  private mask: number
  size = 0

  constructor(capacity = 1024) {
    let n = 16
    while (n < capacity * 2) n <<= 1
    this.slots = new Int32Array(n * 2).fill(EMPTY)
    this.mask = n - 1
  }

  /** Adds (a, b), both in [0, 2^31); false when it was already there. */
  add(a: number, b: number): boolean {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow()
    let i = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) & this.mask
    const s = this.slots
    for (;;) {
      const k = s[i << 1]
      if (k === EMPTY) {
        s[i << 1] = a
        s[(i << 1) + 1] = b
        this.size++
        return true
      }
      if (k === a && s[(i << 1) + 1] === b) return false
      i = (i + 1) & this.mask
    }
  }

  private grow(): void {
    const old = this.slots
    const n = (this.mask + 1) * 2
    this.slots = new Int32Array(n * 2).fill(EMPTY)
    this.mask = n - 1
    this.size = 0
    for (let i = 0; i < old.length; i += 2) if (old[i] !== EMPTY) this.add(old[i], old[i + 1])
  }
}
