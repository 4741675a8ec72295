import { describe, expect, it } from '@jest/globals';
import { DEFAULT_RUN_CONFIG, validateRunConfig } from './run-config.js';

describe('validateRunConfig', () => {
  it('fills the defaults of the GraphQL input', () => {
    expect(validateRunConfig({})).toEqual({ config: DEFAULT_RUN_CONFIG, issues: [] });
    expect(DEFAULT_RUN_CONFIG).toMatchObject({
      initialCapital: 10_000,
      commission: 0,
      slippage: 0,
      positionSize: 1,
      fillTiming: 'NEXT_OPEN',
      allowShort: false,
      riskFreeRate: 0,
    });
  });

  it.each([
    ['initialCapital', 0, 'initialCapital must be greater than 0, got 0.'],
    ['commission', 1, 'commission must be at least 0 and less than 1 (a fraction of notional, e.g. 0.001 = 0.1%), got 1.'],
    ['commission', -0.001, 'commission must be at least 0 and less than 1 (a fraction of notional, e.g. 0.001 = 0.1%), got -0.001.'],
    ['slippage', 1, 'slippage must be at least 0 and less than 1 (a fraction of price, e.g. 0.0005 = 5 bp), got 1.'],
    ['positionSize', 0, 'positionSize must be greater than 0 and at most 1 (a fraction of equity), got 0.'],
    ['positionSize', 1.5, 'positionSize must be greater than 0 and at most 1 (a fraction of equity), got 1.5.'],
    ['lotSize', 0, 'lotSize must be greater than 0, got 0.'],
    ['periodsPerYear', -1, 'periodsPerYear must be greater than 0, got -1.'],
    ['riskFreeRate', -1, 'riskFreeRate must be greater than -1 and at most 1 (an annual fraction, e.g. 0.02 = 2%), got -1.'],
    // issue 13, finding 14: a percent where a fraction belongs
    ['riskFreeRate', 100, 'riskFreeRate must be greater than -1 and at most 1 (an annual fraction, e.g. 0.02 = 2%), got 100.'],
    ['initialCapital', NaN, 'initialCapital must be a finite number, got NaN.'],
    ['commission', Infinity, 'commission must be a finite number, got Infinity.'],
    ['slippage', '0.1', 'slippage must be a finite number, got 0.1.'],
    ['fillTiming', 'OPEN', 'fillTiming must be NEXT_OPEN or CLOSE, got OPEN.'],
    ['allowShort', 1, 'allowShort must be true or false, got 1.'],
    ['comission', 0.1, 'Unknown run configuration field "comission".'],
  ])('rejects %s = %p', (field, value, message) => {
    expect(validateRunConfig({ [field]: value }).issues).toEqual([{ path: [field], message }]);
  });

  it('accepts the inclusive bounds and optional fields', () => {
    const { config, issues } = validateRunConfig({ positionSize: 1, commission: 0, lotSize: 0.001, periodsPerYear: 252, riskFreeRate: 1, fillTiming: 'CLOSE', allowShort: true });
    expect(issues).toEqual([]);
    expect(config).toMatchObject({ positionSize: 1, lotSize: 0.001, periodsPerYear: 252, fillTiming: 'CLOSE', allowShort: true });
  });
});
