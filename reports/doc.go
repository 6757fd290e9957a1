// Package reports renders a run's outputs: summary.json, summary.md (for CI
// job pages), junit.xml and the self-contained report.html.
package reports
