// Package loadgen generates CloudFront-shaped load on Vegeta's attacker and
// pacers: independent per-edge connection pools, CloudFront's request headers
// and SNI, per-phase mTLS timing, and a results codec that stays readable by
// `vegeta report`.
package loadgen
