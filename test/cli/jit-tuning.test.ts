import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interruptBudgetGiven } from '../../src/cli/jit-tuning.js';

test('etcd lowers the interrupt budget when node was given none', () => {
  assert.equal(interruptBudgetGiven([], ''), false);
  assert.equal(interruptBudgetGiven(['--max-old-space-size=4096'], '--heap-growing-percent=50'), false);
});

test('an interrupt budget the user gave node, in either spelling, is left alone', () => {
  assert.equal(interruptBudgetGiven(['--interrupt-budget=100000'], ''), true);
  assert.equal(interruptBudgetGiven([], '--max-old-space-size=4096 --interrupt_budget=1000'), true);
  assert.equal(interruptBudgetGiven(['--interrupt-budget', '5000'], ''), true);
});

test('flags whose names only start with interrupt-budget do not count as setting it', () => {
  assert.equal(interruptBudgetGiven(['--interrupt-budget-for-feedback-allocation=100'], ''), false);
  assert.equal(interruptBudgetGiven([], '--interrupt-budget-factor-for-feedback-allocation=4'), false);
});
