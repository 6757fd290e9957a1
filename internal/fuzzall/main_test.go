package main

import (
	"strings"
	"testing"
)

// TestFindsEveryParserTarget: make fuzz sees the fuzz targets of every
// package that parses outside input.
func TestFindsEveryParserTarget(t *testing.T) {
	targets, err := findTargets("../..")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, tg := range targets {
		found[strings.TrimPrefix(tg.dir, "../../")+" "+tg.name] = true
	}
	for _, want := range []string{
		"scenarios FuzzParse", "scenarios FuzzParseBounded", "fixtures FuzzParseKeyPEM", "fixtures FuzzLoadDirManifest",
		"clientcert FuzzLoad", "loadgen FuzzResultsDecoder", "loadgen FuzzOpenShard", "loadgen FuzzParseRate",
		"loadgen FuzzParseArrival", "loadgen FuzzParseShard", "loadgen/latency FuzzLogReader", "reports FuzzReadSummary",
		"reports FuzzReadSeries", "certify FuzzParseShard", "probe FuzzOriginHandshakeBytes", "probe FuzzOriginResponseBytes",
	} {
		if !found[want] {
			t.Errorf("fuzz target %s not found (found %d: %v)", want, len(found), found)
		}
	}
	for k := range found {
		if strings.Contains(k, "fuzzall") {
			t.Errorf("found %s: helpers are not targets", k)
		}
	}
}
