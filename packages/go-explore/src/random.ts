import { InvalidArgumentError } from '@snapbox/core';

/**
 * A seedable source of pseudo-random numbers. Two sources made from the same seed give the same
 * sequence on every platform and Node version, which is what makes a Go-Explore run repeatable.
 * Not for cryptography.
 */
export interface Random {
  /** A number in `[0, 1)`. */
  next(): number;
  /**
   * An integer in `[0, maxExclusive)`.
   * @throws InvalidArgumentError unless `maxExclusive` is a positive safe integer.
   */
  int(maxExclusive: number): number;
  /**
   * One element of `items`, each with the same chance.
   * @throws InvalidArgumentError for an empty array.
   */
  pick<T>(items: readonly T[]): T;
  /** A new, independent source seeded from this one (advances this one by four draws). */
  fork(): Random;
}

/** What seeds a {@link Random}: any number (its 64-bit float value is used) or any string. */
export type Seed = number | string;

// splitmix32 (Steele, Lea, Flood): spreads one 32-bit word into well-mixed state words.
function splitmix32(state: number): () => number {
  let s = state | 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

// A 32-bit FNV-1a over the seed's text (numbers go through their exact string form).
function hashSeed(seed: Seed): number {
  const text = typeof seed === 'number' ? `n:${Object.is(seed, -0) ? '0' : String(seed)}` : `s:${seed}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** xoshiro128** (Blackman, Vigna): small, fast, and good enough for exploration. */
class Xoshiro128 implements Random {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(words: readonly [number, number, number, number]) {
    [this.#s0, this.#s1, this.#s2, this.#s3] = words;
    // The all-zero state is the one state xoshiro never leaves.
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  #nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  next(): number {
    return this.#nextUint32() / 0x1_0000_0000;
  }

  int(maxExclusive: number): number {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive < 1) {
      throw new InvalidArgumentError({
        argument: 'maxExclusive',
        message: `expected a positive integer, got ${String(maxExclusive)}`,
      });
    }
    return Math.floor(this.next() * maxExclusive);
  }

  pick<T>(items: readonly T[]): T {
    if (!Array.isArray(items) || items.length === 0) {
      throw new InvalidArgumentError({ argument: 'items', message: 'expected a non-empty array' });
    }
    return items[this.int(items.length)] as T;
  }

  fork(): Random {
    return new Xoshiro128([this.#nextUint32(), this.#nextUint32(), this.#nextUint32(), this.#nextUint32()]);
  }

  /** The four state words: with {@link restoreRandom}, a checkpoint continues the same sequence. */
  get state(): RandomState {
    return [this.#s0 >>> 0, this.#s1 >>> 0, this.#s2 >>> 0, this.#s3 >>> 0];
  }
}

/** The internal state of a {@link Random} made by {@link createRandom}: four unsigned 32-bit words. */
export type RandomState = readonly [number, number, number, number];

/**
 * The state of a generator made by {@link createRandom}, for a checkpoint.
 * @throws InvalidArgumentError for a `Random` from elsewhere, whose state cannot be read.
 */
export function randomState(rng: Random): RandomState {
  if (!(rng instanceof Xoshiro128)) {
    throw new InvalidArgumentError({ argument: 'rng', message: 'only a generator made by createRandom can be saved' });
  }
  return rng.state;
}

/**
 * A generator that continues exactly where the one whose {@link randomState} this is stood.
 * @throws InvalidArgumentError unless `state` is four integers in `[0, 2^32)`.
 */
export function restoreRandom(state: unknown): Random {
  const words = state as unknown[];
  if (
    !Array.isArray(words) ||
    words.length !== 4 ||
    !words.every((word) => Number.isInteger(word) && (word as number) >= 0 && (word as number) < 2 ** 32)
  ) {
    throw new InvalidArgumentError({ argument: 'state', message: 'expected four unsigned 32-bit integers' });
  }
  const [a, b, c, d] = words as [number, number, number, number];
  return new Xoshiro128([a | 0, b | 0, c | 0, d | 0]);
}

/**
 * Creates a seeded {@link Random} (xoshiro128** seeded through splitmix32). The same seed always
 * gives the same sequence; numbers and strings are distinct seeds (`1` is not `'1'`).
 *
 * ```ts
 * const rng = createRandom(42);
 * rng.int(10); // the same digit on every run
 * ```
 * @throws InvalidArgumentError for a seed that is neither a finite number nor a string.
 */
export function createRandom(seed: Seed): Random {
  if (!((typeof seed === 'number' && Number.isFinite(seed)) || typeof seed === 'string')) {
    throw new InvalidArgumentError({ argument: 'seed', message: 'expected a finite number or a string' });
  }
  const mix = splitmix32(hashSeed(seed));
  return new Xoshiro128([mix(), mix(), mix(), mix()]);
}
