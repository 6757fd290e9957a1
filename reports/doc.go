// Package reports renders a run's outputs: summary.json, junit.xml and the
// self-contained report.html.
package reports
