import { describe, expect, it } from '@jest/globals';
import { CandleColumnsBuilder } from './candle-columns.js';

describe('CandleColumnsBuilder', () => {
  it('grows past its initial capacity and returns exactly the pushed candles, on buffers of their own', () => {
    const builder = new CandleColumnsBuilder(2);
    for (let i = 0; i < 5; i++) builder.push(i * 1000, i + 0.1, i + 0.2, i + 0.3, i + 0.4, i + 0.5);
    const c = builder.finish();
    expect(Array.from(c.time)).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(Array.from(c.volume)).toEqual([0.5, 1.5, 2.5, 3.5, 4.5]);
    expect(c.open.buffer.byteLength).toBe(5 * 8); // spare capacity released: transferable without waste
    expect(c.open.buffer).not.toBe(c.close.buffer);
  });

  it('returns its columns as they are when filled exactly', () => {
    const builder = new CandleColumnsBuilder(3);
    for (let i = 0; i < 3; i++) builder.push(i, 1, 2, 0.5, 1.5, 10);
    expect(builder.finish().time).toHaveLength(3);
    expect(new CandleColumnsBuilder(4).finish().time).toHaveLength(0);
  });
});
