import { describe, expect, it } from '@jest/globals';
import { STRATEGY_KINDS, strategySpecs, validateStrategyParams } from './strategy-specs.js';

describe('strategySpecs', () => {
  it('lists the seven kinds of the GraphQL contract with the contract parameter names', () => {
    expect(Object.fromEntries(strategySpecs.map((s) => [s.kind, s.parameters.map((p) => p.name)]))).toEqual({
      BUY_AND_HOLD: [],
      SMA_CROSSOVER: ['fast', 'slow'],
      EMA_CROSSOVER: ['fast', 'slow'],
      RSI_REVERSION: ['period', 'oversold', 'overbought'],
      BOLLINGER_REVERSION: ['period', 'k'],
      MACD_CROSSOVER: ['fast', 'slow', 'signal'],
      DONCHIAN_BREAKOUT: ['entry', 'exit'],
    });
    expect(STRATEGY_KINDS).toHaveLength(7);
  });

  it('uses the DESIGN.md defaults', () => {
    const defaults = Object.fromEntries(
      strategySpecs.map((s) => [s.kind, Object.fromEntries(s.parameters.map((p) => [p.name, p.default]))]),
    );
    expect(defaults.RSI_REVERSION).toEqual({ period: 14, oversold: 30, overbought: 70 });
    expect(defaults.BOLLINGER_REVERSION).toEqual({ period: 20, k: 2 });
    expect(defaults.MACD_CROSSOVER).toEqual({ fast: 12, slow: 26, signal: 9 });
    expect(defaults.DONCHIAN_BREAKOUT).toEqual({ entry: 20, exit: 10 });
  });

  it.each(STRATEGY_KINDS.map((k) => [k]))('%s: defaults are valid and fill every parameter', (kind) => {
    const spec = strategySpecs.find((s) => s.kind === kind)!;
    const { params, issues } = validateStrategyParams(kind, {});
    expect(issues).toEqual([]);
    expect(Object.keys(params)).toEqual(spec.parameters.map((p) => p.name));
    for (const p of spec.parameters) {
      expect(p.min).toBeLessThanOrEqual(p.default);
      expect(p.default).toBeLessThanOrEqual(p.max);
      expect(p.description.length).toBeGreaterThan(10);
    }
    expect(spec.description.length).toBeGreaterThan(20);
  });
});

describe('validateStrategyParams', () => {
  it.each([
    ['unknown kind', 'MOON', {}, [[], 'Unknown strategy kind "MOON". Expected one of: BUY_AND_HOLD, SMA_CROSSOVER, EMA_CROSSOVER, RSI_REVERSION, BOLLINGER_REVERSION, MACD_CROSSOVER, DONCHIAN_BREAKOUT.']],
    ['unknown parameter', 'SMA_CROSSOVER', { fats: 5 }, [['fats'], 'Unknown parameter "fats" for SMA_CROSSOVER. Expected: fast, slow.']],
    ['parameter for a kind without any', 'BUY_AND_HOLD', { period: 5 }, [['period'], 'Unknown parameter "period" for BUY_AND_HOLD. BUY_AND_HOLD takes no parameters.']],
    ['wrong type', 'SMA_CROSSOVER', { fast: '5' }, [['fast'], 'fast must be a finite number, got the string "5".']],
    ['not finite', 'BOLLINGER_REVERSION', { k: Infinity }, [['k'], 'k must be a finite number, got Infinity.']],
    // issue 13, finding 14: null is a mistake, not the default
    ['null', 'SMA_CROSSOVER', { fast: null }, [['fast'], 'fast must be a number, got null; leave it out to use the default (10).']],
    ['not an integer', 'EMA_CROSSOVER', { fast: 2.5 }, [['fast'], 'fast must be a whole number, got 2.5.']],
    ['below the minimum', 'RSI_REVERSION', { period: 1 }, [['period'], 'period must be between 2 and 10000 inclusive, got 1.']],
    ['above the maximum', 'RSI_REVERSION', { overbought: 101 }, [['overbought'], 'overbought must be between 0 and 100 inclusive, got 101.']],
    ['fast ≥ slow', 'SMA_CROSSOVER', { fast: 30, slow: 30 }, [['fast'], 'fast (30) must be less than slow (30).']],
    ['MACD fast ≥ slow', 'MACD_CROSSOVER', { fast: 40 }, [['fast'], 'fast (40) must be less than slow (26).']],
    ['oversold ≥ overbought', 'RSI_REVERSION', { oversold: 70 }, [['oversold'], 'oversold (70) must be less than overbought (70).']],
    ['Donchian exit > entry', 'DONCHIAN_BREAKOUT', { entry: 10, exit: 20 }, [['exit'], 'exit (20) must not exceed entry (10).']],
    ['parameters not an object', 'SMA_CROSSOVER', [5, 10], [[], 'Parameters must be an object mapping parameter names to numbers.']],
  ])('reports %s precisely', (_case, kind, params, [path, message]) => {
    expect(validateStrategyParams(kind, params).issues).toEqual([{ path, message }]);
  });

  it('reports every bad parameter at once, and skips cross rules until each value is valid', () => {
    const { issues } = validateStrategyParams('MACD_CROSSOVER', { fast: 0, slow: 1.5, signal: -1 });
    expect(issues.map((i) => i.path[0])).toEqual(['fast', 'slow', 'signal']);
  });

  it('accepts boundary values (ranges are inclusive) and keeps given values', () => {
    expect(validateStrategyParams('RSI_REVERSION', { period: 2, oversold: 0, overbought: 100 })).toEqual({
      params: { period: 2, oversold: 0, overbought: 100 },
      issues: [],
    });
    expect(validateStrategyParams('DONCHIAN_BREAKOUT', { entry: 10, exit: 10 }).issues).toEqual([]);
  });
});
