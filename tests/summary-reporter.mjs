// Prints one closing line that CI can read, e.g. "playwright: 3 passed, 0 failed, 1 skipped".
// Used alongside the `list` reporter in playwright.config.mjs.
export default class SummaryReporter {
  constructor() {
    this.counts = { passed: 0, failed: 0, skipped: 0 };
  }

  printsToStdio() {
    return true;
  }

  onTestEnd(test, result) {
    // Count each test once, by its final outcome (retries included).
    if (result.retry < test.retries && result.status !== 'passed' && result.status !== 'skipped') return;
    const outcome = test.outcome();
    if (outcome === 'skipped') this.counts.skipped += 1;
    else if (outcome === 'expected' || outcome === 'flaky') this.counts.passed += 1;
    else this.counts.failed += 1;
  }

  onEnd(result) {
    const { passed, failed, skipped } = this.counts;
    // A run that errored outside any test (bad config, server never started) still counts as failing.
    const extra = result.status !== 'passed' && failed === 0 ? 1 : 0;
    console.log(`\nplaywright: ${passed} passed, ${failed + extra} failed, ${skipped} skipped`);
  }
}
